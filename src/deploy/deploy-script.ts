/**
 * The deploy script for one service on one host: POSIX sh text, built here and run by
 * `remote.Command` (over SSH) or `local.Command`, fed with the script and the payload
 * (./payload) on stdin (see ./bootstrap), so its text is never in a command line.
 *
 * Flow: lock → owner check (one stack owns a service on a host) → the host's edge proxy is
 * running → image present or pulled (login only when a pull is needed) → the release
 * container on the edge network (reused when an earlier run started it, restarted when it
 * is a kept release, else created) → health by name from inside the edge, until the timeout
 * → the new route lines, upstream and record prepared in a private directory → routes
 * loaded into the edge when they changed (admin API; refused: nothing switched) → with a
 * canary rollout, the steps (./canary-script: each a rename of the service's split file, a
 * pause, the edge's own judgement; a failed step sends every request back and removes the new
 * release, failing the deploy with the figures) → with a blue/green rollout and another digest
 * than `rollout.live` serving, the preview (./preview-script: the new release behind the
 * preview route only; the deploy ends there) → the switch: one rename of the service's upstream file, which the edge reads per request (no
 * reload, no connection closed) → verify through the edge → the record renamed into place →
 * the previous release (kept for rollback) drains and stops in the background, holding
 * `retire.lock`, which the next deploy or stop waits for → keep `keepReleases`.
 * Before the switch a failure leaves the previous release serving and the record as it was;
 * after it only renames happen, and a failed verification renames the previous upstream
 * back, so the record always names what serves.
 *
 * The flow is in sh/deploy-*.sh (and the shared sh/*.sh); this module writes the header of
 * values (one quoting rule: ./shell), the commands built from argument lists (`release_run`,
 * `health_probe`, `verify_get`) and picks the files a routed service, a worker or a later
 * replica needs.
 */
import type { RouteConfig } from "../config";
import { previewInstance, previewRouteLines, routeFileText, routeLines } from "../edge";
import { parseDigestReference } from "../reference";
import { networkEnsureLines, healthUrl, releaseRun } from "./commands";
import {
  checkDefinition,
  configPathOf,
  containerSpecHash,
  releasePrefix,
  routeInstancesOf,
  serviceNames,
  type ServiceDefinition,
  type ServiceNames,
} from "./definition";
import { edgeFunctions, edgeGet, edgeLocalUrl } from "./edge-commands";
import { payloadReader, redactFunction } from "./payload";
import { canaryCheckLines, canaryLines, canaryOf } from "./canary-script";
import { blueGreenOf, previewEndLines, previewLines } from "./preview-script";
import {
  containerHealthProbe,
  cpuLimitLines,
  imageLines,
  loginLines,
  showLogsFunction,
  statusOfFunction,
  waitHealthyFunction,
} from "./container-lines";
import {
  awaitRetire,
  header,
  lock,
  retireFunction,
  stateDir,
  toolsCheck,
  warmFunctions,
} from "./prelude";
import { commitRecordLines, prepareRecordLines } from "./record";
import { shellLines } from "./script-files";
import { superviseLines } from "./supervisor";
import { assign, command } from "./shell";

function indent(lines: readonly string[], by = "  "): string[] {
  return lines.map((line) => (line === "" ? line : `${by}${line}`));
}

/** How a service gets another name: the key under `slipway:services`, or `slipway:service.name`. */
function renameHint(def: ServiceDefinition): string {
  const where = configPathOf(def);
  return where === "slipway:service" ? "slipway:service.name" : `rename the key ${where}`;
}

/** The route the deploy verifies through: the first whose path covers the health path. */
export function verifyRoute(def: ServiceDefinition): RouteConfig | undefined {
  return def.routes.find(
    (route) =>
      route.path === undefined ||
      def.healthPath === route.path ||
      def.healthPath.startsWith(`${route.path}/`),
  );
}

/** The Host header of the verification: the route's host (a name under a wildcard). */
export function verifyHost(def: ServiceDefinition, route: RouteConfig): string {
  if (route.host === undefined) {
    return `${def.service}.slipway.invalid`;
  }
  return route.host.startsWith("*.") ? `slipway-verify${route.host.slice(1)}` : route.host;
}

/** The values the deploy's files read, besides the header's. */
function values(def: ServiceDefinition): string[] {
  const { digest } = parseDigestReference(def.ref);
  return [
    assign("digest", digest),
    "docker_config=",
    assign("rename_hint", renameHint(def)),
    assign("config_path", configPathOf(def)),
    assign("spec_hash", containerSpecHash(def)),
    assign("release_prefix", releasePrefix(def)),
    assign("container_port", def.containerPort),
    assign("health_timeout", def.healthTimeoutSeconds),
    assign("drain_seconds", def.drainSeconds),
    assign("rollback_window", def.rollbackWindowSeconds),
    assign("memory", def.memory ?? ""),
    assign("memory_kib", def.memory === undefined ? "" : memoryKib(def.memory)),
    assign("keep_releases", def.keepReleases),
  ];
}

/** The functions the flow calls: status, logs, health (by name, then through the edge). */
function functionLines(def: ServiceDefinition, names: ServiceNames): string[] {
  const route = verifyRoute(def);
  const verify =
    routeInstancesOf(def).length === 0
      ? shellLines("deploy-verify-replica")
      : route === undefined
        ? shellLines("deploy-verify-none")
        : [
            `verify_get() { ${command(edgeGet(names.edge, edgeLocalUrl(def.healthPath), verifyHost(def, route)))}; }`,
            ...shellLines("deploy-verify-edge"),
          ];
  return [
    ...shellLines("deploy-one-line"),
    statusOfFunction(),
    ...showLogsFunction(),
    ...(def.routes.length > 0
      ? [
          // One request to the release's health path, by container name on the edge network,
          // from inside the edge (as the edge will connect); $answer gets the body or the error.
          `health_probe() { answer=$(${command(edgeGet(names.edge, healthUrl(def)))} 2>&1); }`,
        ]
      : // A worker: its health command, else Docker's HEALTHCHECK, else running.
        containerHealthProbe("name", def.healthCommand)),
    ...waitHealthyFunction("name", def.healthTimeoutSeconds, 0.5),
    ...verify,
  ];
}

/** Docker's memory size (`512m`, `1.5g`: units of 1024) in KiB, rounded up. */
export function memoryKib(size: string): number {
  const match = /^(\d+(?:\.\d+)?)([bkmg])$/i.exec(size);
  if (match === null) {
    throw new Error(`${JSON.stringify(size)} is not a memory size such as 512m or 1g`);
  }
  const power = { b: 0, k: 1, m: 2, g: 3 }[match[2]!.toLowerCase() as "b" | "k" | "m" | "g"];
  return Math.ceil((Number(match[1]) * 1024 ** power) / 1024);
}

/** The whole deploy script for `def`. Pure: the same definition gives the same text. */
export function deployScript(def: ServiceDefinition): string {
  checkDefinition(def);
  const names = serviceNames(def);
  const routed = def.routes.length > 0;
  // A later replica switches its own upstream only; the first replica installs the routes.
  const instances = routeInstancesOf(def);
  const installsRoutes = routed && instances.length > 0;
  // A canary's routes go through the edge's split handler (no split file: as without it).
  const canary = canaryOf(def);
  const split = canary === undefined ? undefined : { sticky: canary.sticky ?? false };
  // A blue/green's routes: the service's own, and its preview route's beside them.
  const preview = blueGreenOf(def)?.preview;
  const lines = [
    ...routeLines(def.service, def.routes, instances, split),
    ...(preview === undefined
      ? []
      : previewRouteLines(def.service, def.routes, preview, [previewInstance(def.service)])),
  ];
  const title =
    `Slipway deploy of ${def.service} to host ${def.host} (stack ${def.stack}): ${def.ref}` +
    (def.revision === undefined ? "" : ` (revision ${def.revision})`);
  const sections: (readonly string[])[] = [
    header(title, def),
    values(def),
    redactFunction(),
    toolsCheck(),
    stateDir(def),
    superviseLines(def.stateRoot),
    payloadReader(),
    ['docker_config="$tmp"/docker'],
    lock(),
    awaitRetire(),
    shellLines("deploy-owner"),
    cpuLimitLines(def.cpus, `${configPathOf(def)}.cpus`),
    routed ? edgeFunctions(names.edge) : [],
    routed ? shellLines("deploy-edge-check") : [],
    canaryCheckLines(def),
    installsRoutes ? shellLines("deploy-clash") : [],
    loginLines(def),
    imageLines(def, def.ref, "release"),
    shellLines("deploy-name"),
    functionLines(def, names),
    retireFunction(),
    warmFunctions(),
    installsRoutes
      ? [assign("routes_text", routeFileText(lines)), ...shellLines("deploy-routes-write")]
      : [],
    networkEnsureLines(def.network, def.stack),
    [`release_run() { ${command(releaseRun(def, names))}; }`, ...shellLines("deploy-start")],
    shellLines("deploy-health"),
    [
      ...shellLines("deploy-prepare"),
      "prepare_record() {",
      ...indent(prepareRecordLines(def)),
      "}",
      ...shellLines("deploy-prepare-record"),
    ],
    installsRoutes
      ? shellLines("deploy-routes-install")
      : routed
        ? shellLines("deploy-routes-kept")
        : [],
    canaryLines(def),
    previewLines(def),
    [
      ...(routed ? shellLines("deploy-switch") : []),
      'if [ "$mode" = new ]; then',
      ...indent(commitRecordLines()),
      "fi",
      ...shellLines("deploy-retire"),
    ],
    previewEndLines(def),
    shellLines("deploy-prune"),
  ];
  return `${sections
    .filter((section) => section.length > 0)
    .map((section) => section.join("\n"))
    .join("\n\n")}\n`;
}
