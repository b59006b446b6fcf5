/**
 * `slipway details` on one host: what really runs there, read from Docker and the edge's
 * state directory, one tab-separated line each. Reads only; takes no lock.
 *
 *     now <host clock, seconds since the epoch>
 *     container <name> <role> <service or accessory> <stack> <digest> <state> <health> <started at> <restarts>
 *     route <service> <server> <match key>          (the edge's route files)
 *     upstream <instance> <container:port>          (what each route dials now)
 *     volume <accessory> <volume> <size in KiB, or ?>
 */
import { operationHeader } from "./operations";
import { shellLines } from "./script-files";
import { assign, command } from "./shell";

/** The Go template of one `container` line. */
export const CONTAINER_FORMAT =
  'container\t{{.Name}}\t{{index .Config.Labels "slipway.role"}}\t' +
  '{{with index .Config.Labels "slipway.service"}}{{.}}{{else}}{{index .Config.Labels "slipway.accessory"}}{{end}}\t' +
  '{{index .Config.Labels "slipway.stack"}}\t{{index .Config.Labels "slipway.digest"}}\t' +
  "{{.State.Status}}\t{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}\t" +
  "{{.State.StartedAt}}\t{{.RestartCount}}";

/** What details looks at on one host. */
export interface DetailsDefinition {
  readonly host: string;
  /** The edge's state directory (`<root>/_edge/<name>`), when the host's services are routed. */
  readonly edgeDir?: string;
  /** Accessory volumes: accessory name and Docker volume name. */
  readonly volumes: readonly { readonly accessory: string; readonly volume: string }[];
}

/** The details script of one host (sh/details.sh). */
export function detailsScript(def: DetailsDefinition): string {
  const lines = [
    ...operationHeader(`Slipway details of host ${def.host}`, def.host, [
      ["edge", def.edgeDir ?? ""],
    ]),
    assign("container_format", CONTAINER_FORMAT),
    ...shellLines("details"),
    ...def.volumes.map(({ accessory, volume }) => command(["volume_size", accessory, volume])),
  ];
  return `${lines.join("\n")}\n`;
}

/** One container as details reads it. */
export interface ContainerDetail {
  readonly name: string;
  readonly role: string;
  /** The service or accessory it belongs to (empty for the edge). */
  readonly of: string;
  readonly stack: string;
  readonly digest: string;
  readonly state: string;
  readonly health: string;
  readonly startedAt: string;
  readonly restarts: number;
}

/** What the details script printed. */
export interface HostDetails {
  /** The host's clock (seconds since the epoch). */
  readonly now: number;
  readonly containers: readonly ContainerDetail[];
  readonly routes: readonly {
    readonly service: string;
    readonly server: string;
    readonly match: string;
  }[];
  readonly upstreams: readonly { readonly instance: string; readonly upstream: string }[];
  readonly volumes: readonly {
    readonly accessory: string;
    readonly volume: string;
    /** KiB; undefined when the size could not be read. */
    readonly kib?: number;
  }[];
}

/** Parses the details script's output; the one reader of its format. */
export function parseDetails(text: string): HostDetails {
  let now = 0;
  const containers: ContainerDetail[] = [];
  const routes: HostDetails["routes"][number][] = [];
  const upstreams: HostDetails["upstreams"][number][] = [];
  const volumes: HostDetails["volumes"][number][] = [];
  for (const line of text.split("\n")) {
    const [kind, ...f] = line.split("\t");
    switch (kind) {
      case "now":
        now = Number(f[0]);
        break;
      case "container":
        containers.push({
          name: (f[0] ?? "").replace(/^\//, ""),
          role: f[1] ?? "",
          of: f[2] ?? "",
          stack: f[3] ?? "",
          digest: f[4] ?? "",
          state: f[5] ?? "",
          health: f[6] ?? "",
          startedAt: f[7] ?? "",
          restarts: Number(f[8] ?? 0),
        });
        break;
      case "route":
        routes.push({ service: f[0] ?? "", server: f[1] ?? "", match: f[2] ?? "" });
        break;
      case "upstream":
        upstreams.push({ instance: f[0] ?? "", upstream: f[1] ?? "" });
        break;
      case "volume": {
        const size = f[2] ?? "?";
        volumes.push({
          accessory: f[0] ?? "",
          volume: f[1] ?? "",
          ...(/^\d+$/.test(size) ? { kib: Number(size) } : {}),
        });
        break;
      }
      default:
        break;
    }
  }
  return { now, containers, routes, upstreams, volumes };
}
