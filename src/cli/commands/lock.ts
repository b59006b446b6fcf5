import {
  accessoryNames,
  lockReleaseScript,
  lockStatusScript,
  parseLockLines,
  parseLockOwner,
  parseReleased,
  replicaName,
  type LockLine,
  type LockPlace,
} from "../../deploy";
import type { HostConfig } from "../../config/hosts";
import type { SlipwayConfig } from "../../config/schema";
import { edgeNames } from "../../edge/names";
import type { Run } from "../context";
import { failureOf, runOnHosts, stackTarget, type HostJob } from "../day-two";
import { EXIT } from "../exit-codes";
import { formatTable } from "../table";

/** The locks of the stack on one host: each service instance, accessory, and the edge. */
function lockPlaces(config: SlipwayConfig, host: string, stateRoot: string): LockPlace[] {
  const services = config.services.filter((service) => service.hosts.includes(host));
  const accessories = config.accessories.filter((accessory) => accessory.hosts.includes(host));
  return [
    ...services.flatMap((service) =>
      Array.from({ length: service.replicas }, (_, i) => {
        const name = replicaName(service.name, i + 1);
        return { kind: "service" as const, name, dir: `${stateRoot}/${name}` };
      }),
    ),
    ...accessories.map((accessory) => ({
      kind: "accessory" as const,
      name: accessory.name,
      dir: accessoryNames({ network: config.network, name: accessory.name, stateRoot, volumes: [] })
        .stateDir,
    })),
    ...(services.some((service) => service.routes.length > 0)
      ? [
          {
            kind: "edge" as const,
            name: config.edge.name,
            dir: edgeNames(config.edge.name, stateRoot).stateDir,
          },
        ]
      : []),
  ];
}

/** One lock as `lock status` shows it. */
interface LockRow {
  readonly host: string;
  readonly kind: LockLine["kind"];
  readonly name: string;
  readonly state: LockLine["state"];
  readonly stack?: string;
  readonly user?: string;
  readonly from?: string;
  readonly pid?: number;
  readonly since?: string;
  /** The script that holds it (held locks only). */
  readonly command?: string;
}

function rowOf(host: string, line: LockLine): LockRow {
  const owner = parseLockOwner(line.owner);
  return {
    host,
    kind: line.kind,
    name: line.name,
    state: line.state,
    ...owner,
    ...(line.state === "held" && line.command !== "" ? { command: line.command } : {}),
  };
}

function jobs(
  run: Run,
  config: SlipwayConfig,
  hosts: readonly HostConfig[],
  script: (host: HostConfig, places: readonly LockPlace[]) => string,
): HostJob[] {
  return hosts
    .map((host) => ({ host, places: lockPlaces(config, host.name, run.deps.releaseRoot) }))
    .filter(({ places }) => places.length > 0)
    .map(({ host, places }) => ({ host, label: host.name, script: script(host, places) }));
}

/**
 * `slipway lock status`: who holds each deploy lock of the stack on its hosts — service
 * instances, accessories, the edge — asked of the kernel (`flock`), with the holder's own
 * line (stack, host user, SSH client, pid, since) and the script it runs.
 */
export async function lockStatus(
  run: Run,
  request: { readonly stack: string; readonly hosts?: readonly string[] },
): Promise<number> {
  const { config, hosts, masker } = await stackTarget(run, "lock status", request);
  const outcomes = await runOnHosts(
    run,
    jobs(run, config, hosts, (host, places) => lockStatusScript(host.name, places)),
    masker,
    { collect: true },
  );
  const failure = failureOf(outcomes, masker);
  if (failure !== undefined) throw failure;
  const rows = outcomes.flatMap(({ job, lines }) =>
    parseLockLines(lines.join("\n")).map((line) => rowOf(job.host.name, line)),
  );
  const held = rows.filter((row) => row.state === "held");
  const table = formatTable(
    ["HOST", "LOCK", "STATE", "HOLDER", "SINCE", "COMMAND"],
    rows.map((row) => [
      row.host,
      `${row.kind} ${row.name}`,
      row.state,
      row.state === "held" || row.stack !== undefined
        ? [
            row.stack === undefined ? "" : `stack ${row.stack}`,
            row.user ?? "",
            row.from === undefined ? "" : `from ${row.from}`,
            row.pid === undefined ? "" : `pid ${row.pid}`,
          ]
            .filter((part) => part !== "")
            .join(", ")
        : "",
      row.since ?? "",
      row.command ?? "",
    ]),
  );
  run.result(
    `${table}\n${held.length === 0 ? `no lock of ${request.stack} is held` : `${held.length} held; release: slipway lock release --stack ${request.stack}`}\n` +
      (rows.some((row) => row.state === "free" && row.stack !== undefined)
        ? "(HOLDER of a free lock: its last holder)\n"
        : ""),
    { stack: request.stack, locks: rows },
  );
  return EXIT.ok;
}

/**
 * `slipway lock release`: ends the processes that hold the stack's locks on its hosts (the
 * kernel frees a lock when its holders end). A lock held for another stack is refused without
 * `--force`, naming its holder, before anything is ended; each release says whose it was.
 */
export async function lockRelease(
  run: Run,
  request: { readonly stack: string; readonly hosts?: readonly string[]; readonly force: boolean },
): Promise<number> {
  const { config, hosts, masker } = await stackTarget(run, "lock release", request);
  const outcomes = await runOnHosts(
    run,
    jobs(run, config, hosts, (host, places) =>
      lockReleaseScript(host.name, request.stack, places, request.force),
    ),
    masker,
    { collect: true },
  );
  const failure = failureOf(outcomes, masker);
  if (failure !== undefined) throw failure;
  const released = outcomes.flatMap(({ job, lines }) => {
    const before = new Map(
      parseLockLines(lines.join("\n")).map((line) => [`${line.kind} ${line.name}`, line]),
    );
    return parseReleased(lines.join("\n")).map((entry) => ({
      ...rowOf(job.host.name, before.get(`${entry.kind} ${entry.name}`)!),
      ended: entry.pids
        .split(" ")
        .filter((pid) => pid !== "")
        .map(Number),
    }));
  });
  run.result(
    released.length === 0
      ? `no lock of ${request.stack} was held; nothing released`
      : released
          .map(
            (entry) =>
              `released the ${entry.kind} lock of ${entry.name} on ${entry.host}: it was held by stack ${entry.stack ?? "?"}, ${entry.user ?? "?"}${entry.from === undefined ? "" : ` from ${entry.from}`} since ${entry.since ?? "?"}${entry.command === undefined ? "" : ` (${entry.command})`}; ended pid ${entry.ended.join(", ")}`,
          )
          .join("\n"),
    { stack: request.stack, released },
  );
  return EXIT.ok;
}
