/**
 * The probe script `slipway status` runs on each host: what really runs, not only what the
 * record says. It prints one `key value` line each (values may be empty):
 *
 *     record <release.json on one line>     (absent: no record)
 *     owner <stack>
 *     current <container name from the record>
 *     container <status> <slipway.digest label> <slipway.stack label> <health>   (missing: no
 *                                             container; health: healthy, unhealthy, starting
 *                                             or none, Docker's health check)
 *     others <running release containers besides current, space-separated>   (a previous
 *                                             release still draining, or left running)
 *     warm <container> <epoch seconds the window ends> <status> <slipway.digest label>   (absent:
 *                                             no warm release; status `missing`: it is gone)
 *     upstream <what the edge routes the service to>
 *     preview <container> <digest> <status>   (a blue/green's release on the preview route only;
 *                                             absent: none; status `missing`: it is gone)
 *     maintenance <Retry-After seconds while maintenance is on; empty when off>
 *     split <a canary's split file in force, lines joined by ", "; no line without one>
 *     edge <running, missing or the holder's status; `<status> (its Caddy container <name>)` when
 *                                             the holder runs and its Caddy does not>
 *     event <the supervisor's last event of the service: a restart>   (absent: none)
 *     edge_event <the supervisor's last event of the edge>   (absent: none)
 *     supervisor <running or stopped>   (the host's supervisor of the state root)
 *     health ok <answer> | health fail <answer>    (through the edge, as clients get it)
 *
 * Reads only; takes no lock. Pure: the same definition gives the same text.
 */
import { checkHostService, serviceNames, type ServiceDefinition } from "./definition";
import { verifyHost, verifyRoute } from "./deploy-script";
import { containerInspect } from "./commands";
import { edgeGet, edgeLocalUrl } from "./edge-commands";
import { parseReleaseRecord, type ReleaseRecord } from "./record";
import { shellLines } from "./script-files";
import { assign, command, quote } from "./shell";
import { EVENTS_FILE, supervisorDir } from "./supervisor";

/** What the probe needs to know of the service: where it lives and how it is checked. */
export type ProbeDefinition = Pick<
  ServiceDefinition,
  "host" | "stack" | "service" | "stateRoot" | "edge" | "containerPort" | "healthPath" | "routes"
>;

/** The probe script of `def`: its header of values, then sh/probe.sh and the health check. */
export function probeScript(def: ProbeDefinition): string {
  checkHostService(def);
  const names = serviceNames(def);
  const route = verifyRoute(def as ServiceDefinition);
  const lines = [
    "#!/bin/sh",
    `# Slipway status probe of ${def.service} on host ${def.host}`,
    "set -u",
    assign("state", names.stateDir),
    assign("edge", names.edge.stateDir),
    assign("service", def.service),
    assign("edge_container", names.edge.container),
    assign("supervisor", supervisorDir(def.stateRoot)),
    ...shellLines("probe"),
    ...(route === undefined || def.routes.length === 0
      ? shellLines("probe-no-health")
      : [
          `probe_health() { ${command(edgeGet(names.edge, edgeLocalUrl(def.healthPath), verifyHost(def as ServiceDefinition, route)))}; }`,
          ...shellLines("probe-health"),
        ]),
  ];
  return `${lines.join("\n")}\n`;
}

/** What the probe saw on a host. */
export interface ProbeResult {
  /** The release record, its parse error, or undefined when there is none. */
  readonly record?: ReleaseRecord | { readonly error: string };
  readonly owner?: string;
  readonly current?: string;
  /** The current release container: `missing`, or its status and labels. */
  readonly container:
    | { readonly kind: "missing" }
    | {
        readonly kind: "found";
        readonly status: string;
        readonly digest: string;
        readonly stack: string;
        /** Docker's health check: `healthy`, `unhealthy`, `starting`, or `none`. */
        readonly health: string;
      };
  /** Release containers of the service that run besides the current one (a draining one). */
  readonly others: readonly string[];
  /** The replaced release kept running without traffic for the rollback window. */
  readonly warm?: WarmProbe;
  readonly upstream?: string;
  /** Retry-After seconds while the service's routes answer the maintenance page. */
  readonly maintenance?: string;
  /** A canary in progress: the edge's split file, `<release> <weight>` lines joined by `, `. */
  readonly split?: string;
  /** A blue/green's release that answers only on the preview route. */
  readonly preview?: {
    readonly container: string;
    readonly digest: string;
    readonly status: string;
  };
  readonly edge: string;
  readonly health: { readonly kind: "ok" | "fail" | "skipped"; readonly answer: string };
  /** The supervisor's last event of the service (`<time> <what>`): a restart. */
  readonly event?: string;
  /** The supervisor's last event of the host's edge. */
  readonly edgeEvent?: string;
  /** Whether the host's supervisor runs (absent: the probe did not say). */
  readonly supervisor?: "running" | "stopped";
}

/** The warm release on a host: its container, when its window ends, what Docker says of it. */
export interface WarmProbe {
  readonly container: string;
  /** Epoch seconds. */
  readonly until: number;
  /** `running`, `exited`…, or `missing` (removed). */
  readonly status: string;
  readonly digest: string;
}

/** Parses what probeScript printed; the one reader of its format. */
export function parseProbe(text: string): ProbeResult {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const space = line.indexOf(" ");
    const key = space < 0 ? line : line.slice(0, space);
    if (key !== "") {
      values.set(key, space < 0 ? "" : line.slice(space + 1));
    }
  }
  const optional = (key: string) => {
    const value = values.get(key);
    return value === undefined || value === "" ? undefined : value;
  };
  const recordText = values.get("record");
  let record: ProbeResult["record"];
  if (recordText !== undefined) {
    try {
      record = parseReleaseRecord(recordText);
    } catch (error) {
      record = { error: (error as Error).message };
    }
  }
  const container = values.get("container") ?? "missing";
  const [status = "", digest = "", stack = "", dockerHealth = ""] = container.split(" ");
  const health = values.get("health") ?? "fail no answer";
  const space = health.indexOf(" ");
  const kind = (space < 0 ? health : health.slice(0, space)) as "ok" | "fail" | "skipped";
  const owner = optional("owner");
  const current = optional("current");
  const upstream = optional("upstream");
  const maintenance = optional("maintenance");
  const split = optional("split");
  const [previewName = "", previewDigest = "", previewStatus = "missing"] = (
    optional("preview") ?? ""
  ).split(" ");
  const event = optional("event");
  const edgeEvent = optional("edge_event");
  const supervisor = optional("supervisor");
  const [warmName = "", until = "", warmStatus = "missing", warmDigest = ""] = (
    optional("warm") ?? ""
  ).split(" ");
  const warm: WarmProbe | undefined =
    warmName === ""
      ? undefined
      : { container: warmName, until: Number(until), status: warmStatus, digest: warmDigest };
  return {
    ...(record === undefined ? {} : { record }),
    ...(owner === undefined ? {} : { owner }),
    ...(current === undefined ? {} : { current }),
    container:
      container === "missing"
        ? { kind: "missing" }
        : { kind: "found", status, digest, stack, health: dockerHealth || "none" },
    others: (values.get("others") ?? "").split(" ").filter((name) => name !== ""),
    ...(warm === undefined ? {} : { warm }),
    ...(upstream === undefined ? {} : { upstream }),
    ...(maintenance === undefined ? {} : { maintenance }),
    ...(split === undefined ? {} : { split }),
    ...(previewName === ""
      ? {}
      : { preview: { container: previewName, digest: previewDigest, status: previewStatus } }),
    edge: values.get("edge") ?? "missing",
    health: {
      kind: ["ok", "fail", "skipped"].includes(kind) ? kind : "fail",
      answer: space < 0 ? "" : health.slice(space + 1),
    },
    ...(event === undefined ? {} : { event }),
    ...(edgeEvent === undefined ? {} : { edgeEvent }),
    ...(supervisor === "running" || supervisor === "stopped" ? { supervisor } : {}),
  };
}

/** Marks where one service's probe output starts in a host's combined probe. */
export const PROBE_SECTION = "slipway-probe-service";
/** One accessory's line in a host's combined probe. */
const ACCESSORY = "slipway-probe-accessory";
/** The supervisor's last event of one accessory in a host's combined probe. */
const ACCESSORY_EVENT = "slipway-probe-accessory-event";

/** The accessories a host probe looks at: by name, their container. */
export interface AccessoryProbeDefinition {
  readonly name: string;
  readonly container: string;
  /** Its state directory on the host (`<root>/_accessories/<container>`): the supervisor's events. */
  readonly stateDir: string;
}

/**
 * One script per host for every service (each probe in its own subshell, after a section
 * line) and every accessory (`<status> <health> <digest> <stack>` of its container): one
 * connection per host, whatever the number of services.
 */
export function hostProbeScript(
  services: readonly ProbeDefinition[],
  accessories: readonly AccessoryProbeDefinition[] = [],
): string {
  const parts = services.map((def) => {
    const body = probeScript(def).split("\n").slice(1).join("\n");
    return `printf '%s %s\\n' ${PROBE_SECTION} ${def.service}\n(\n${body})`;
  });
  const format =
    '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{index .Config.Labels "slipway.digest"}} {{index .Config.Labels "slipway.stack"}}';
  const lines = accessories.flatMap((accessory) => [
    `if seen=$(${command(containerInspect(format, accessory.container))} 2>/dev/null); then printf '%s %s %s\\n' ${ACCESSORY} ${accessory.name} "$seen"; else printf '%s %s missing\\n' ${ACCESSORY} ${accessory.name}; fi`,
    `if [ -s ${quote(`${accessory.stateDir}/${EVENTS_FILE}`)} ]; then printf '%s %s %s\\n' ${ACCESSORY_EVENT} ${accessory.name} "$(tail -n 1 ${quote(`${accessory.stateDir}/${EVENTS_FILE}`)})"; fi`,
  ]);
  return `#!/bin/sh\n# Slipway status probe of ${services.length} service(s) and ${accessories.length} accessory(ies)\n${[...parts, ...lines].join("\n")}\n`;
}

/** What an accessory's container is on a host. */
export type AccessoryProbe =
  | { readonly kind: "missing"; readonly event?: string }
  | {
      readonly kind: "found";
      readonly status: string;
      /** `healthy`, `unhealthy`, `starting`, or `none` (no health check). */
      readonly health: string;
      readonly digest: string;
      readonly stack: string;
      /** The supervisor's last event of the accessory (`<time> <what>`). */
      readonly event?: string;
    };

/** Parses what hostProbeScript printed: each service's probe, and each accessory's state. */
export function parseHostProbe(text: string): {
  readonly services: Readonly<Record<string, ProbeResult>>;
  readonly accessories: Readonly<Record<string, AccessoryProbe>>;
} {
  const chunks = new Map<string, string[]>();
  const accessories: Record<string, AccessoryProbe> = {};
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    const [marker, name = "", ...rest] = line.split(" ");
    if (marker === PROBE_SECTION) {
      current = [];
      chunks.set(name, current);
    } else if (marker === ACCESSORY) {
      const [status = "missing", health = "none", digest = "", stack = ""] = rest;
      accessories[name] =
        status === "missing"
          ? { kind: "missing" }
          : { kind: "found", status, health, digest, stack };
    } else if (marker === ACCESSORY_EVENT && accessories[name] !== undefined) {
      accessories[name] = { ...accessories[name], event: rest.join(" ") };
    } else {
      current?.push(line);
    }
  }
  return {
    services: Object.fromEntries(
      [...chunks].map(([name, lines]) => [name, parseProbe(lines.join("\n"))]),
    ),
    accessories,
  };
}
