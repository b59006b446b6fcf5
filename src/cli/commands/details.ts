import { accessoryNames, detailsScript, parseDetails, type HostDetails } from "../../deploy";
import { edgeNames } from "../../edge/names";
import type { Run } from "../context";
import { failureOf, runOnHosts, stackTarget, type HostJob } from "../day-two";
import { EXIT } from "../exit-codes";
import { formatTable, shortDigest } from "../table";

/** `3d4h`, `2h5m`, `4m10s`, `12s`: how long a container has run. */
export function uptimeText(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    return "-";
  }
  const s = Math.floor(seconds);
  const [d, h, m] = [
    Math.floor(s / 86400),
    Math.floor((s % 86400) / 3600),
    Math.floor((s % 3600) / 60),
  ];
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m${s % 60}s`;
  return `${s}s`;
}

/** Seconds since `startedAt` (Docker's RFC 3339 time) at the host's `now`. */
function runningFor(now: number, startedAt: string): number {
  const started = Date.parse(startedAt);
  return Number.isNaN(started) || started <= 0 ? Number.NaN : now - started / 1000;
}

/** `1.2 GiB`, `340 MiB`, `12 KiB`, `?`. */
function sizeText(kib: number | undefined): string {
  if (kib === undefined) return "?";
  if (kib >= 1024 * 1024) return `${(kib / 1024 / 1024).toFixed(1)} GiB`;
  if (kib >= 1024) return `${(kib / 1024).toFixed(1)} MiB`;
  return `${kib} KiB`;
}

/** The text of one host's details. */
function detailsText(host: string, details: HostDetails): string {
  const containers = formatTable(
    ["CONTAINER", "ROLE", "OF", "STACK", "DIGEST", "STATE", "HEALTH", "UPTIME", "RESTARTS"],
    details.containers.map((c) => [
      c.name,
      c.role,
      c.of === "" ? "-" : c.of,
      c.stack === "" ? "-" : c.stack,
      c.digest === "" ? "-" : shortDigest(c.digest),
      c.state,
      c.health,
      c.state === "running" ? uptimeText(runningFor(details.now, c.startedAt)) : "-",
      String(c.restarts),
    ]),
  );
  const upstream = new Map(details.upstreams.map((u) => [u.instance, u.upstream]));
  const routes =
    details.routes.length === 0
      ? "edge routes: none"
      : `edge routes:\n${formatTable(
          ["SERVICE", "SERVER", "MATCH", "UPSTREAM"],
          details.routes.map((r) => [r.service, r.server, r.match, upstream.get(r.service) ?? "-"]),
        )}`;
  const volumes =
    details.volumes.length === 0
      ? ""
      : `\naccessory volumes:\n${formatTable(
          ["ACCESSORY", "VOLUME", "SIZE"],
          details.volumes.map((v) => [v.accessory, v.volume, sizeText(v.kib)]),
        )}`;
  return `host ${host}:\n${containers}\n${routes}${volumes}`;
}

/**
 * `slipway details`: per host of the stack, every Slipway container there (service, release
 * digest, state, health, uptime, restarts), the edge's routes and what each dials, and the
 * accessories' volumes with their sizes — read from Docker and the edge's files.
 */
export async function details(
  run: Run,
  request: { readonly stack: string; readonly hosts?: readonly string[] },
): Promise<number> {
  const { config, hosts, masker } = await stackTarget(run, "details", request);
  const root = run.deps.releaseRoot;
  const jobs: HostJob[] = hosts.map((host) => {
    const routed = config.services.some(
      (service) => service.hosts.includes(host.name) && service.routes.length > 0,
    );
    const volumes = config.accessories
      .filter((accessory) => accessory.hosts.includes(host.name))
      .flatMap((accessory) =>
        Object.values(
          accessoryNames({
            network: config.network,
            name: accessory.name,
            stateRoot: root,
            volumes: Object.keys(accessory.volumes),
          }).volumes,
        ).map((volume) => ({ accessory: accessory.name, volume })),
      );
    return {
      host,
      label: host.name,
      script: detailsScript({
        host: host.name,
        ...(routed ? { edgeDir: edgeNames(config.edge.name, root).stateDir } : {}),
        volumes,
      }),
    };
  });
  const outcomes = await runOnHosts(run, jobs, masker, { collect: true });
  const failure = failureOf(outcomes, masker);
  if (failure !== undefined) throw failure;
  const parsed = outcomes.map(({ job, lines }) => ({
    host: job.host.name,
    ...parseDetails(lines.join("\n")),
  }));
  run.result(parsed.map((entry) => detailsText(entry.host, entry)).join("\n\n"), {
    stack: request.stack,
    hosts: parsed,
  });
  return EXIT.ok;
}
