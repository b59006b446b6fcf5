import type { Release } from "../../ledger";
import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { parseProbe, probeScript, type ProbeResult, type ReleaseEntry } from "../../deploy";
import { imagesOutput } from "../outputs";
import { driverCall, readStackFiles, validatedConfig } from "../pinning";
import { formatTable, shortDigest } from "../table";
import { probePods } from "../kube-status";

/** What one host runs compared with what the stack pins. */
export type HostState = "in-sync" | "drift" | "no-release" | "unreadable" | "unreachable";

export interface HostStatus {
  readonly host: string;
  readonly state: HostState;
  /** What the host runs: the running container's release (from the record's entry). */
  readonly current?: ReleaseEntry;
  readonly previous?: readonly ReleaseEntry[];
  /** The digest of the release container that really runs, when one runs. */
  readonly running?: string;
  /** Why the host is not in sync, each reason in a few words; or why it could not be read. */
  readonly error?: string;
}

/**
 * Judges one host from what the probe saw: the container that runs, the edge's route and a
 * request through it, with the record only as a cross-check.
 */
export function judgeHost(
  host: string,
  probe: ProbeResult,
  expected: string | undefined,
  stack: string,
  upstream: string | undefined,
): HostStatus {
  const record = probe.record;
  if (record !== undefined && "error" in record) {
    return { host, state: "unreadable", error: record.error };
  }
  if (record === undefined && probe.container.kind === "missing") {
    return { host, state: "no-release" };
  }
  const reasons: string[] = [];
  if (probe.owner !== undefined && probe.owner !== stack) {
    reasons.push(`owned by stack ${probe.owner}`);
  }
  let running: string | undefined;
  if (probe.container.kind === "missing") {
    reasons.push(`release container ${probe.current ?? "(none)"} is missing`);
  } else if (probe.container.status !== "running") {
    reasons.push(`release container ${probe.current ?? ""} is ${probe.container.status}`);
  } else {
    running = probe.container.digest;
    if (expected !== undefined && running !== expected) {
      reasons.push(`runs ${shortDigest(running)}`);
    }
  }
  if (record !== undefined && running !== undefined && record.current.digest !== running) {
    reasons.push(`its record says ${shortDigest(record.current.digest)}`);
  }
  if (upstream !== undefined) {
    if (probe.edge !== "running") {
      reasons.push(`edge is ${probe.edge}`);
    } else if (probe.upstream !== upstream) {
      reasons.push(`the edge routes to ${probe.upstream ?? "nothing"}`);
    }
  }
  if (probe.health.kind === "fail") {
    reasons.push(`health through the edge fails: ${probe.health.answer}`);
  }
  return {
    host,
    state: reasons.length === 0 ? "in-sync" : "drift",
    ...(record === undefined ? {} : { current: record.current, previous: record.previous }),
    ...(running === undefined ? {} : { running }),
    ...(reasons.length === 0 ? {} : { error: reasons.join("; ") }),
  };
}

function stateText(state: HostState, expected: string | undefined): string {
  switch (state) {
    case "in-sync":
      return "in sync";
    case "drift":
      return expected === undefined ? "DRIFT" : `DRIFT (stack: ${shortDigest(expected)})`;
    case "no-release":
      return "NO RELEASE";
    case "unreadable":
      return "UNREADABLE";
    case "unreachable":
      return "UNREACHABLE";
    default: {
      const unreachable: never = state;
      return unreachable;
    }
  }
}

/**
 * `slipway status --stack <stack>`: what each host runs — the running release container, the
 * edge's route to it and a request through the edge — against what the stack pins (a
 * promote stack's pin, a build stack's last deployed output). The host's release record is
 * a cross-check: a stopped or removed release is DRIFT whatever the record says. On a
 * Kubernetes target each pod is a row: the digest its runtime reports (imageID) against the pin.
 */
/** What the hosts of a stack run, judged against what the stack pins. */
export interface StackProbe {
  readonly config: Awaited<ReturnType<typeof validatedConfig>>;
  readonly service: NonNullable<Awaited<ReturnType<typeof validatedConfig>>["service"]>;
  readonly expected: string | undefined;
  readonly expectedFrom: string;
  readonly hosts: readonly HostStatus[];
}

/** Probes every host of the stack (see probeScript) and judges each one. */
export async function probeHosts(run: Run, stack: string): Promise<StackProbe> {
  const files = readStackFiles(run, stack);
  const config = await validatedConfig(run, stack);
  const service = config.service;
  if (service === undefined) {
    throw new CliError(
      EXIT.refused,
      `${stack} declares no slipway:service; nothing runs on its hosts`,
      [`slipway history --stack ${stack}  # what the stack released, from its ledger`],
    );
  }
  const image = config.images.find((candidate) => candidate.name === service.image);
  let expected: string | undefined;
  let expectedFrom: string;
  if (image?.kind === "pin") {
    expected = image.pin.digest;
    expectedFrom = `${files.display} pins`;
  } else {
    const outputs = await driverCall(run, stack, () => run.deps.driver.outputs(stack));
    expected = imagesOutput(outputs, stack)[service.image]?.digest;
    expectedFrom = `the last update of ${stack} deployed`;
  }
  if (config.target === "kubernetes") {
    return {
      config,
      service,
      expected,
      expectedFrom,
      hosts: await probePods(config, service, expected),
    };
  }
  const script = probeScript({
    host: "",
    stack,
    service: service.name,
    stateRoot: run.deps.releaseRoot,
    edge: config.edge.name,
    containerPort: service.containerPort,
    healthPath: service.healthPath,
    routes: service.routes,
  });
  const hosts: HostStatus[] = [];
  for (const host of config.hosts) {
    const probed = await run.deps.hosts.run(host, script);
    if (probed.kind === "unreachable") {
      hosts.push({ host: host.name, state: "unreachable", error: probed.message });
      continue;
    }
    const probe = parseProbe(probed.stdout);
    const upstream =
      service.routes.length === 0 || probe.current === undefined
        ? undefined
        : `${probe.current}:${service.containerPort}`;
    hosts.push(judgeHost(host.name, probe, expected, stack, upstream));
  }
  return { config, service, expected, expectedFrom, hosts };
}

export async function status(run: Run, stack: string): Promise<number> {
  const files = readStackFiles(run, stack);
  const { config, service, expected, expectedFrom, hosts } = await probeHosts(run, stack);
  const kube = config.target === "kubernetes";
  const unit = kube ? "pod" : "host";
  const last: Release | undefined = files.ledger.releases[files.ledger.releases.length - 1];

  const headline =
    `${stack}: service ${service.name} runs image ${service.image}; ${expectedFrom} ` +
    `${expected === undefined ? "nothing" : expected}`;
  const ledgerLine =
    last === undefined
      ? `ledger: no release recorded yet`
      : `ledger: last release #${last.id} (${last.kind}${last.source === undefined ? "" : ` from ${last.source}`}, ${last.at}) ` +
        (last.images[service.image]?.digest === expected
          ? "matches"
          : `recorded ${last.images[service.image]?.digest ?? "no such image"}; next: slipway up --stack ${stack}`);
  const rows = hosts.map((entry) => [
    entry.host,
    stateText(entry.state, expected),
    entry.running === undefined ? "-" : shortDigest(entry.running),
    entry.current?.revision?.slice(0, 7) ?? "",
    entry.current?.deployedAt ?? "",
    entry.previous?.[0] === undefined ? "" : shortDigest(entry.previous[0].digest),
    entry.error ?? "",
  ]);
  const table = formatTable(
    ["HOST", "STATE", "RUNS", "REVISION", "DEPLOYED", "PREVIOUS", "NOTE"],
    rows,
  );

  const code = hosts.some((entry) => entry.state === "unreachable")
    ? EXIT.unreachable
    : hosts.some((entry) => entry.state !== "in-sync")
      ? EXIT.drift
      : EXIT.ok;
  const names = (states: readonly HostState[]) =>
    hosts.filter((entry) => states.includes(entry.state)).map((entry) => entry.host);
  const drifting = names(["drift", "no-release", "unreadable"]);
  const unreachableHosts = names(["unreachable"]);
  const count = (list: readonly string[]) =>
    `${list.length} of ${hosts.length} ${unit}${hosts.length === 1 ? "" : "s"} (${list.join(", ")})`;
  const footer =
    hosts.length === 0
      ? `${stack} declares no hosts`
      : [
          ...(drifting.length === 0 && unreachableHosts.length === 0
            ? [`every ${unit} runs what ${stack} pins`]
            : []),
          ...(drifting.length === 0
            ? []
            : [
                kube
                  ? `${count(drifting)} differ from what ${stack} pins; next: slipway up --stack ${stack}  # applies the pinned release again`
                  : `${count(drifting)} differ from what ${stack} pins; next: slipway repair --stack ${stack}  # re-runs the pinned release on those hosts`,
              ]),
          ...(unreachableHosts.length === 0
            ? []
            : [
                `${count(unreachableHosts)} could not be read; check ${kube ? "the cluster's API access" : "SSH access"}, then: slipway status --stack ${stack}`,
              ]),
        ].join("\n");
  run.result(`${headline}\n${ledgerLine}\n${table}\n${footer}`, {
    stack,
    service: service.name,
    image: service.image,
    expected: expected ?? null,
    ledger:
      last === undefined
        ? null
        : { id: last.id, digest: last.images[service.image]?.digest ?? null },
    hosts,
    inSync: code === EXIT.ok,
  });
  return code;
}
