import type { Release } from "../../ledger";
import { rejectionText } from "../../ledger";
import type { Run } from "../context";
import { EXIT } from "../exit-codes";
import { readStackFiles } from "../pinning";
import { probeHosts } from "../probe-hosts";
import { projectRejections } from "../release-safety";
import { formatTable, shortDigest } from "../table";
import type { HostState } from "../status-model";

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
