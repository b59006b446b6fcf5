/** What the status probe (src/deploy/probe-script.ts) prints on a host, for CLI tests. */
import type { HostRun } from "../../../src/cli";
import { PROBE_SECTION } from "../../../src/deploy";

/** A digest whose short form (`sha256:` and 12 hex) is told apart from `digest(n)`'s. */
export const D7 = `sha256:${"7".repeat(64)}`;

export const entry = (d: string, at: string) => ({
  image: "web",
  ref: `ghcr.io/acme/web@${d}`,
  digest: d,
  revision: d.slice(-1).repeat(40),
  deployedAt: at,
});

/** Probe output fields, as probeScript prints them; a field left out is printed empty. */
export interface Probed {
  readonly record?: unknown;
  readonly owner?: string;
  readonly current?: string;
  readonly container?: string;
  readonly others?: string;
  /** `<container> <epoch seconds> <status> <digest>`; left out: no warm line. */
  readonly warm?: string;
  readonly upstream?: string;
  /** A canary's split file, its lines joined by ", "; left out: no split line. */
  readonly split?: string;
  /** A blue/green's preview release: `<container> <digest> <status>`; left out: none. */
  readonly preview?: string;
  readonly edge?: string;
  readonly health?: string;
  /** The supervisor's last event of the service; left out: no event line. */
  readonly event?: string;
  /** The supervisor's last event of the edge; left out: no edge_event line. */
  readonly edgeEvent?: string;
  /** `running` or `stopped`; left out: no supervisor line (an older probe). */
  readonly supervisor?: string;
}

/** What probeScript prints on a host. */
export function probeText(fields: Probed): string {
  return [
    ...(fields.record === undefined ? [] : [`record ${JSON.stringify(fields.record)}`]),
    `owner ${fields.owner ?? ""}`,
    `current ${fields.current ?? ""}`,
    `container ${fields.container ?? "missing"}`,
    `others ${fields.others ?? ""}`,
    ...(fields.warm === undefined ? [] : [`warm ${fields.warm}`]),
    `upstream ${fields.upstream ?? ""}`,
    ...(fields.split === undefined ? [] : [`split ${fields.split}`]),
    ...(fields.preview === undefined ? [] : [`preview ${fields.preview}`]),
    `edge ${fields.edge ?? "missing"}`,
    ...(fields.event === undefined ? [] : [`event ${fields.event}`]),
    ...(fields.edgeEvent === undefined ? [] : [`edge_event ${fields.edgeEvent}`]),
    ...(fields.supervisor === undefined ? [] : [`supervisor ${fields.supervisor}`]),
    `health ${fields.health ?? "fail no answer"}`,
    "",
  ].join("\n");
}

/** A host that runs release `d` as its record says, routed and healthy through the edge. */
export function healthy(d: string, previous: string[] = [], changes: Probed = {}): Probed {
  const name = `web-${d.slice(-1)}-release`;
  return {
    record: {
      service: "web",
      stack: "prod",
      current: entry(d, "2025-02-15T10:01:00Z"),
      previous: previous.map((p) => entry(p, "2025-02-08T10:01:00Z")),
    },
    owner: "prod",
    current: name,
    container: `running ${d} prod`,
    upstream: `${name}:8080`,
    edge: "running",
    health: "ok ok",
    ...changes,
  };
}

/** What a host's combined probe (hostProbeScript) prints for its one service, `web`. */
export const ran = (fields: Probed, service = "web"): HostRun => ({
  kind: "ran",
  stdout: `${PROBE_SECTION} ${service}\n${probeText(fields)}`,
});
