/**
 * What the hosts of a stack really run, judged against what the stack pins: one probe per
 * host (every service and accessory on it), read by `slipway status` and `slipway repair`.
 */
import type { Run } from "./context";
import { CliError } from "./errors";
import { EXIT } from "./exit-codes";
import type { ServiceSpec } from "../config";
import {
  accessoryNames,
  hostProbeScript,
  parseHostProbe,
  parseProbe,
  type ProbeResult,
} from "../deploy";
import { pinnedLookup } from "./pinned";
import { parseDigestReference } from "../reference";
import { readStackFiles, validatedConfig } from "./pinning";
import { shortDigest } from "./table";
import { probeAccessoryPods, probePods } from "./kube-status";
import { instanceOnHost, instancesOf } from "./service-instances";
import type { AccessoryStatus, EdgeStatus, HostStatus } from "./status-model";

/** Whether the host holds the stack's digest, running, behind a blue/green's preview route. */
function previewing(probe: ProbeResult, expected: string | undefined): boolean {
  return (
    expected !== undefined &&
    probe.preview?.digest === expected &&
    probe.preview.status === "running"
  );
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
    if (expected !== undefined && running !== expected && !previewing(probe, expected)) {
      reasons.push(`runs ${shortDigest(running)}`);
    }
  }
  if (record !== undefined && running !== undefined && record.current.digest !== running) {
    reasons.push(`its record says ${shortDigest(record.current.digest)}`);
  }
  const routed = upstream !== undefined || probe.health.kind !== "skipped";
  const edgeDown = routed && probe.edge !== "running";
  if (edgeDown) {
    // The cause of every route of the host failing: named once, not as each service's health.
    reasons.push(`the edge is ${probe.edge}: no request reaches the service`);
  } else if (upstream !== undefined && probe.upstream !== upstream) {
    reasons.push(`the edge routes to ${probe.upstream ?? "nothing"}`);
  }
  // A host whose supervisor does not run does not heal itself: repair's deploy starts it.
  if (probe.container.kind === "found" && probe.supervisor === "stopped") {
    reasons.push("the host's supervisor is not running: a container that stops stays down");
  }
  if (probe.container.kind === "found" && probe.container.health === "unhealthy") {
    reasons.push(
      `release container ${probe.current ?? ""} is unhealthy (its Docker health check fails)`,
    );
  }
  if (probe.health.kind === "fail" && !edgeDown) {
    reasons.push(`health through the edge fails: ${probe.health.answer || "no answer"}`);
  }
  // The warm release runs on for the rollback window, ready for `slipway rollback`.
  const warm =
    probe.warm !== undefined && probe.warm.status === "running"
      ? {
          container: probe.warm.container,
          digest: probe.warm.digest,
          until: new Date(probe.warm.until * 1000).toISOString().replace(/\.\d+Z$/, "Z"),
        }
      : undefined;
  // A replaced release runs on for drainSeconds after the switch, then stops in the background.
  const others = probe.others.filter((name) => name !== warm?.container);
  const note = [
    ...(probe.event === undefined ? [] : [`last restart: ${probe.event}`]),
    ...(probe.maintenance === undefined
      ? []
      : [`maintenance on: its routes answer 503 (Retry-After ${probe.maintenance})`]),
    ...(probe.split === undefined
      ? []
      : [
          `canary in progress: the edge splits ${probe.split} (<release> <weight>); the deploy walking it holds the service's lock`,
        ]),
    ...(probe.preview === undefined
      ? []
      : previewing(probe, expected)
        ? [
            `blue/green: every user gets ${shortDigest(running ?? "")}; ${shortDigest(probe.preview.digest)} (${probe.preview.container}) answers only on the preview route; slipway switch --stack ${stack} moves every user to it`,
          ]
        : [
            `preview release ${probe.preview.container} (${shortDigest(probe.preview.digest)}) is ${probe.preview.status}; the stack pins another digest: the next update removes it`,
          ]),
    ...(warm === undefined
      ? []
      : [`warm for rollback: ${shortDigest(warm.digest)} (${warm.container}) until ${warm.until}`]),
    ...(others.length === 0
      ? []
      : [
          `also running: ${others.join(", ")} (a previous release stops drainSeconds after the switch; if it stays, see retire.log in the service's state directory)`,
        ]),
  ].join("; ");
  return {
    host,
    state: reasons.length === 0 ? "in-sync" : "drift",
    ...(record === undefined ? {} : { current: record.current, previous: record.previous }),
    ...(running === undefined ? {} : { running }),
    ...(reasons.length === 0 ? {} : { error: reasons.join("; ") }),
    ...(note === "" ? {} : { note }),
    ...(warm === undefined ? {} : { warm }),
  };
}

/** What one service runs on its hosts, judged against what the stack pins for its image. */
interface ServiceProbe {
  readonly service: ServiceSpec;
  /** The service, or one of its replicas (`<name>.<n>`): what runs on the hosts under that name. */
  readonly instance: string;
  readonly expected: string | undefined;
  readonly expectedFrom: string;
  readonly hosts: readonly HostStatus[];
}

/** What the hosts of a stack run, judged against what the stack pins. */
export interface StackProbe {
  readonly config: Awaited<ReturnType<typeof validatedConfig>>;
  readonly services: readonly ServiceProbe[];
  readonly accessories: readonly AccessoryStatus[];
  /** The edge of each host with a routed service (none on Kubernetes). */
  readonly edges: readonly EdgeStatus[];
}

/**
 * Probes every host of the stack once (every service and accessory on it: hostProbeScript)
 * and judges each service on each of its hosts, and each accessory.
 */
export async function probeHosts(run: Run, stack: string): Promise<StackProbe> {
  const files = readStackFiles(run, stack);
  const config = await validatedConfig(run, stack);
  if (config.services.length === 0 && config.accessories.length === 0) {
    throw new CliError(
      EXIT.refused,
      `${stack} declares no slipway:services; nothing runs on its hosts`,
      [`slipway history --stack ${stack}  # what the stack released, from its ledger`],
    );
  }
  const expectation = pinnedLookup(run, stack, config, files.display);
  /** An accessory runs its own pin, or the digest of an image of the stack. */
  const accessoryExpectation = async (image: string) =>
    image.includes("@") ? parseDigestReference(image).digest : (await expectation(image)).expected;
  if (config.target === "kubernetes") {
    // Each pod is a row: the digest its runtime reports (imageID) against the pin.
    const services: ServiceProbe[] = [];
    for (const service of config.services) {
      const { expected, expectedFrom } = await expectation(service.image);
      services.push({
        service,
        instance: service.name,
        expected,
        expectedFrom,
        hosts: await probePods(config, service, expected),
      });
    }
    // Each accessory's StatefulSet pod, against its pin or its image's digest.
    const accessories: AccessoryStatus[] = [];
    for (const accessory of config.accessories) {
      const expected = await accessoryExpectation(accessory.image);
      accessories.push(...(await probeAccessoryPods(config, accessory, expected)));
    }
    return { config, services, accessories, edges: [] };
  }
  const network = config.network;
  const seen = new Map<string, ReturnType<typeof parseHostProbe> | { unreachable: string }>();
  for (const host of config.hosts) {
    const services = config.services.filter((service) => service.hosts.includes(host.name));
    const accessories = config.accessories.filter((accessory) =>
      accessory.hosts.includes(host.name),
    );
    if (services.length === 0 && accessories.length === 0) {
      continue;
    }
    const script = hostProbeScript(
      services
        .flatMap(instancesOf)
        .map(({ service, instance }) =>
          instanceOnHost(config, run.deps.releaseRoot, host.name, service, instance),
        ),
      accessories.map((accessory) => {
        const names = accessoryNames({
          network,
          name: accessory.name,
          stateRoot: run.deps.releaseRoot,
          volumes: [],
        });
        return { name: accessory.name, container: names.container, stateDir: names.stateDir };
      }),
    );
    const probed = await run.deps.hosts.run(host, script);
    seen.set(
      host.name,
      probed.kind === "unreachable"
        ? { unreachable: probed.message }
        : parseHostProbe(probed.stdout),
    );
  }
  const services: ServiceProbe[] = [];
  for (const { service, instance } of config.services.flatMap(instancesOf)) {
    const { expected, expectedFrom } = await expectation(service.image);
    const hosts: HostStatus[] = [];
    for (const hostName of service.hosts) {
      const result = seen.get(hostName);
      if (result === undefined || "unreachable" in result) {
        hosts.push({
          host: hostName,
          state: "unreachable",
          error: result === undefined ? "not probed" : result.unreachable,
        });
        continue;
      }
      const probe = result.services[instance] ?? parseProbe("");
      const upstream =
        service.routes.length === 0 || probe.current === undefined
          ? undefined
          : `${probe.current}:${service.containerPort}`;
      hosts.push(judgeHost(hostName, probe, expected, stack, upstream));
    }
    services.push({ service, instance, expected, expectedFrom, hosts });
  }
  const accessories: AccessoryStatus[] = [];
  for (const accessory of config.accessories) {
    const expected = await accessoryExpectation(accessory.image);
    for (const hostName of accessory.hosts) {
      const result = seen.get(hostName);
      if (result === undefined || "unreachable" in result) {
        accessories.push({
          accessory: accessory.name,
          host: hostName,
          state: "unreachable",
          error: result === undefined ? "not probed" : result.unreachable,
        });
        continue;
      }
      const probe = result.accessories[accessory.name] ?? { kind: "missing" as const };
      const event = probe.event === undefined ? {} : { event: probe.event };
      if (probe.kind === "missing") {
        accessories.push({ accessory: accessory.name, host: hostName, state: "missing", ...event });
        continue;
      }
      const reasons = [
        ...(probe.status === "running" ? [] : [`container is ${probe.status}`]),
        ...(probe.health === "healthy" || probe.health === "none"
          ? []
          : [`health ${probe.health}`]),
        ...(expected !== undefined && probe.digest !== expected
          ? [`runs ${shortDigest(probe.digest)}`]
          : []),
        ...(probe.stack === stack ? [] : [`owned by stack ${probe.stack}`]),
      ];
      accessories.push({
        accessory: accessory.name,
        host: hostName,
        state: reasons.length === 0 ? "healthy" : "drift",
        running: probe.digest,
        ...(reasons.length === 0 ? {} : { error: reasons.join("; ") }),
        ...event,
      });
    }
  }
  const edges: EdgeStatus[] = [];
  for (const host of config.hosts) {
    const result = seen.get(host.name);
    const routed = config.services.find(
      (service) => service.routes.length > 0 && service.hosts.includes(host.name),
    );
    const probe =
      routed === undefined || result === undefined || "unreachable" in result
        ? undefined
        : result.services[routed.name];
    // Only where a release was deployed: before the first one, the deploy starts the edge.
    if (probe?.current !== undefined) {
      edges.push({
        host: host.name,
        state: probe.edge,
        ...(probe.edgeEvent === undefined ? {} : { event: probe.edgeEvent }),
      });
    }
  }
  return { config, services, accessories, edges };
}
