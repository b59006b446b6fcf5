/**
 * The instant rollback of one service instance on one host: `slipway rollback` runs it before
 * the update when the release it restores is the host's warm release (the previous one, kept
 * running without traffic for the rollback window: `retire` in ./prelude). It switches the
 * edge to the warm container with one rename of the upstream file, as a deploy does, records
 * the switch as a deploy would (so the update that follows finds the host already on that
 * release and changes nothing there), and keeps the release it replaced warm in turn.
 *
 * It prints one line and exits 0 either way:
 *
 *     switched <container>
 *     fallback <why the host cannot switch: no warm release, gone, unhealthy, another digest…>
 *
 * On `fallback` nothing was changed: the update deploys the release the normal way.
 */
import {
  checkHostService,
  RECORD_HISTORY,
  serviceNames,
  type ServiceDefinition,
} from "./definition";
import { healthUrl } from "./commands";
import { edgeGet } from "./edge-commands";
import { header, retireFunction, warmFunctions } from "./prelude";
import { commitRecordLines, releaseJsonLines } from "./record";
import { shellLines } from "./script-files";
import { assign, command } from "./shell";

/** What the switch needs of the service, and the digest it rolls back to. */
export type WarmSwitchDefinition = Pick<
  ServiceDefinition,
  | "host"
  | "stack"
  | "service"
  | "stateRoot"
  | "edge"
  | "containerPort"
  | "healthPath"
  | "routes"
  | "drainSeconds"
  | "rollbackWindowSeconds"
> & {
  /** `sha256:…` of the release to switch back to. */
  readonly digest: string;
};

/** The outcome the script printed. */
export type WarmSwitch =
  | { readonly kind: "switched"; readonly container: string }
  | { readonly kind: "fallback"; readonly reason: string };

export function warmSwitchScript(def: WarmSwitchDefinition): string {
  checkHostService(def);
  if (def.routes.length === 0) {
    throw new Error(`${def.service} has no routes: a worker has no traffic to switch`);
  }
  const names = serviceNames(def);
  const lines = [
    ...header(
      `Slipway instant rollback of ${def.service} on host ${def.host} to ${def.digest}`,
      def,
    ),
    assign("digest", def.digest),
    assign("record_history", RECORD_HISTORY),
    assign("container_port", def.containerPort),
    assign("drain_seconds", def.drainSeconds),
    // A canary walk stops within a second of the marker, then drains its new release.
    assign("canary_abort_wait", def.drainSeconds + 15),
    assign("rollback_window", def.rollbackWindowSeconds),
    `warm_health() { ${command(edgeGet(names.edge, healthUrl(def)))}; }`,
    ...shellLines("warm-switch"),
    ...warmFunctions(),
    ...shellLines("warm-switch-check"),
    ...releaseJsonLines(def),
    ...shellLines("warm-switch-commit"),
    ...commitRecordLines(),
    ...retireFunction(),
    ...shellLines("warm-switch-retire"),
  ];
  return `${lines.join("\n")}\n`;
}

/** Reads what the script printed; anything else (a failure) is a fallback with its text. */
export function parseWarmSwitch(stdout: string): WarmSwitch {
  const line = stdout.trim().split("\n").pop() ?? "";
  if (line.startsWith("switched ")) {
    return { kind: "switched", container: line.slice("switched ".length) };
  }
  if (line.startsWith("fallback ")) {
    return { kind: "fallback", reason: line.slice("fallback ".length) };
  }
  return { kind: "fallback", reason: line === "" ? "the host printed nothing" : line };
}
