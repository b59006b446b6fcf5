import type { Release } from "../../ledger";
import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import type { ServiceSpec } from "../../config";
import {
  accessoryNames,
  hostProbeScript,
  parseHostProbe,
  parseProbe,
  type ProbeResult,
} from "../../deploy";
import { pinnedLookup } from "../pinned";
import { parseDigestReference } from "../../reference";
import { readStackFiles, validatedConfig } from "../pinning";
import { formatTable, shortDigest } from "../table";
import { probeAccessoryPods, probePods } from "../kube-status";
import { projectRejections } from "../release-safety";
import { rejectionText } from "../../ledger";
import { instanceOnHost, instancesOf } from "../service-instances";
import type { AccessoryStatus, EdgeStatus, HostState, HostStatus } from "../status-model";

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

/** What one service runs on its hosts, judged against what the stack pins for its image. */
export interface ServiceProbe {
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

/**
 * `slipway status --stack <stack>`: what each host runs, service by service — the running
 * release container, the edge's route to it and a request through the edge — against what
 * the stack pins (a promote stack's pin, a build stack's last deployed output), and each
 * accessory's container. The host's release record is a cross-check: a stopped or removed
 * release is DRIFT whatever the record says.
 */
export async function status(run: Run, stack: string): Promise<number> {
  const files = readStackFiles(run, stack);
  const { config, services, accessories, edges } = await probeHosts(run, stack);
  const kube = config.target === "kubernetes";
  const last: Release | undefined = files.ledger.releases[files.ledger.releases.length - 1];
  const rejections = projectRejections(run);
  const rejectedNote = (digest: string | undefined): string | undefined => {
    const rejection = digest === undefined ? undefined : rejections.get(digest);
    return rejection === undefined ? undefined : `REJECTED: ${rejectionText(rejection)}`;
  };

  const headlines = services
    .filter(({ service, instance }) => instance === service.name)
    .map(
      ({ service, expected, expectedFrom }) =>
        `${service.name}${service.routes.length === 0 ? " (worker)" : ""}: image ${service.image}; ${expectedFrom} ${expected === undefined ? "nothing" : expected}`,
    );
  // A build stack's rollback pins: those images run the pin, not a build of the checkout.
  const rollbackPins = config.images.flatMap((image) =>
    image.kind === "build" && image.rollbackPin !== undefined
      ? [
          `${image.name}: pinned by a rollback${image.rollbackPin.restores === undefined ? "" : ` to release #${image.rollbackPin.restores}`} (${shortDigest(image.rollbackPin.digest)}) until a commit changes it; ends early with: slipway rollback --stack ${stack} --unpin`,
        ]
      : [],
  );
  headlines.push(...rollbackPins);
  const images = [...new Set(services.map(({ service }) => service.image))];
  const expectedOf = new Map(services.map((entry) => [entry.service.image, entry.expected]));
  const ledgerLine =
    last === undefined
      ? `ledger: no release recorded yet`
      : `ledger: last release #${last.id} (${last.kind}${last.source === undefined ? "" : ` from ${last.source}`}, ${last.at}) ` +
        (images.every((image) => last.images[image]?.digest === expectedOf.get(image))
          ? "matches"
          : `records ${images.map((image) => `${image} ${last.images[image]?.digest === undefined ? "(none)" : shortDigest(last.images[image].digest)}`).join(", ")}; next: slipway up --stack ${stack}`);
  const rows = [
    ...services.flatMap(({ instance, expected, hosts }) =>
      hosts.map((entry) => [
        instance,
        entry.host,
        stateText(entry.state, expected),
        entry.running === undefined ? "-" : shortDigest(entry.running),
        entry.current?.revision?.slice(0, 7) ?? "",
        entry.current?.deployedAt ?? "",
        entry.previous?.[0] === undefined ? "" : shortDigest(entry.previous[0].digest),
        [rejectedNote(entry.running), entry.error, entry.note]
          .filter((text) => text !== undefined)
          .join("; "),
      ]),
    ),
    ...accessories.map((entry) => [
      `${entry.accessory} (accessory)`,
      entry.host,
      entry.state === "healthy" ? "running" : entry.state.toUpperCase(),
      entry.running === undefined ? "-" : shortDigest(entry.running),
      "",
      "",
      "",
      [
        rejectedNote(entry.running),
        entry.error,
        entry.event === undefined ? undefined : `last restart: ${entry.event}`,
      ]
        .filter((text) => text !== undefined)
        .join("; "),
    ]),
  ];
  const table = formatTable(
    ["SERVICE", kube ? "POD" : "HOST", "STATE", "RUNS", "REVISION", "DEPLOYED", "PREVIOUS", "NOTE"],
    rows,
  );

  const all = services.flatMap(({ instance, hosts }) =>
    hosts.map((entry) => ({ ...entry, service: instance })),
  );
  const unreachable = [
    ...all.filter((entry) => entry.state === "unreachable").map((entry) => entry.host),
    ...accessories.filter((entry) => entry.state === "unreachable").map((entry) => entry.host),
  ];
  const drifting = [
    ...all
      .filter((entry) => entry.state !== "in-sync" && entry.state !== "unreachable")
      .map((entry) => `${entry.service} on ${entry.host}`),
    ...accessories
      .filter((entry) => entry.state === "drift" || entry.state === "missing")
      .map((entry) => `${entry.accessory} on ${entry.host}`),
  ];
  const rejected = [
    ...all
      .filter((entry) => rejectedNote(entry.running) !== undefined)
      .map((entry) => `${entry.service} on ${entry.host}`),
    ...accessories
      .filter((entry) => rejectedNote(entry.running) !== undefined)
      .map((entry) => `${entry.accessory} on ${entry.host}`),
  ];
  const code =
    unreachable.length > 0
      ? EXIT.unreachable
      : drifting.length > 0 || rejected.length > 0
        ? EXIT.drift
        : EXIT.ok;
  // An interrupted update (a killed pulumi) leaves the stack locked, its operations pending:
  // repair would refuse on the lock, so the way out starts with clearing them.
  const pending =
    drifting.length === 0 || kube
      ? []
      : await run.deps.driver.state(stack).then(
          (state) => state.pending,
          () => [],
        );
  const repairNext =
    pending.length === 0
      ? `next: slipway repair --stack ${stack}  # re-runs the pinned release there`
      : `an interrupted update left ${stack} locked with operations pending (${pending.join("; ")}); next, once no update of ${stack} runs: ` +
        `pulumi cancel --stack ${stack} --yes; pulumi refresh --stack ${stack} --clear-pending-creates --yes; slipway repair --stack ${stack}`;
  const downEdges = edges
    .filter((edge) => edge.state !== "running")
    .map(
      (edge) =>
        `the edge ${config.edge.name} is ${edge.state} on ${edge.host}: every route there is down; ` +
        (config.edge.image === undefined
          ? `the stack that manages it (slipway:edge.image) starts it again: slipway repair --stack <that stack>`
          : `next: slipway repair --stack ${stack}  # starts it again`),
    );
  // The edge is no row of its own: its last restart by the supervisor is a line.
  const edgeEvents = edges.flatMap((edge) =>
    edge.event === undefined
      ? []
      : [`the edge ${config.edge.name} on ${edge.host}: last restart: ${edge.event}`],
  );
  const footer =
    rows.length === 0
      ? `${stack} declares no hosts`
      : [
          ...(drifting.length === 0 && unreachable.length === 0
            ? [`every ${kube ? "pod" : "host"} runs what ${stack} pins`]
            : []),
          ...downEdges,
          ...edgeEvents,
          ...(rejected.length === 0
            ? []
            : [
                `${rejected.join(", ")} run${rejected.length === 1 ? "s" : ""} a rejected digest (slipway reject); next: slipway rollback --stack ${stack}  # to a release without it`,
              ]),
          ...(drifting.length === 0
            ? []
            : [
                kube
                  ? `${drifting.join(", ")} differ${drifting.length === 1 ? "s" : ""} from what ${stack} pins; next: slipway up --stack ${stack}  # applies the pinned release again`
                  : `${drifting.join(", ")} differ${drifting.length === 1 ? "s" : ""} from what ${stack} pins; ${repairNext}`,
              ]),
          ...(unreachable.length === 0
            ? []
            : [
                `${[...new Set(unreachable)].join(", ")} could not be read; check ${kube ? "the cluster's API access" : "SSH access"}, then: slipway status --stack ${stack}`,
              ]),
        ].join("\n");
  run.result(
    `${stack}:\n${headlines.map((line) => `  ${line}`).join("\n")}\n${ledgerLine}\n${table}\n${footer}`,
    {
      stack,
      services: services.map(({ service, expected, hosts }) => ({
        service: service.name,
        image: service.image,
        expected: expected ?? null,
        ledger:
          last === undefined
            ? null
            : { id: last.id, digest: last.images[service.image]?.digest ?? null },
        hosts: hosts.map((entry) => ({
          ...entry,
          ...(rejectedNote(entry.running) === undefined ? {} : { rejected: true }),
        })),
      })),
      accessories: accessories.map((entry) => ({
        ...entry,
        ...(rejectedNote(entry.running) === undefined ? {} : { rejected: true }),
      })),
      edges,
      ...(pending.length === 0 ? {} : { pending }),
      inSync: code === EXIT.ok,
    },
  );
  return code;
}
