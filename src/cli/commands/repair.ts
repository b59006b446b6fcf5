import type { Run } from "../context";
import { DriverError } from "../driver";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { readStackFiles } from "../pinning";
import { updateFailure } from "../update";
import { probeHosts, type StackProbe } from "../probe-hosts";

/** The Pulumi project name (Pulumi.yaml `name`), part of every URN. */
export const PROJECT = "slipway";

/** URN of a host command `<name>-<host>-<command>` under an infra/deploy component. */
function hostCommandUrn(
  stack: string,
  component: "HostDeployment" | "HostAccessory",
  child: string,
  transport: "ssh" | "local",
): string {
  const type = transport === "ssh" ? "command:remote:Command" : "command:local:Command";
  return `urn:pulumi:${stack}::${PROJECT}::slipway:deploy:${component}$${type}::${child}`;
}

/** URN of the command that runs a service's release on a host (infra/deploy HostDeployment). */
export function releaseUrn(
  stack: string,
  service: string,
  host: string,
  transport: "ssh" | "local",
): string {
  return hostCommandUrn(stack, "HostDeployment", `${service}-${host}-release`, transport);
}

/** URN of the command that runs a host's edge (infra/edge EdgeProxy `<edge>-<host>`). */
function edgeUrn(stack: string, edge: string, host: string, transport: "ssh" | "local"): string {
  const type = transport === "ssh" ? "command:remote:Command" : "command:local:Command";
  return `urn:pulumi:${stack}::${PROJECT}::slipway:edge:EdgeProxy$${type}::${edge}-${host}-edge`;
}

/** URN of the command that (re)starts an accessory on a host (infra/deploy HostAccessory). */
function accessoryUrn(
  stack: string,
  accessory: string,
  host: string,
  transport: "ssh" | "local",
): string {
  return hostCommandUrn(stack, "HostAccessory", `${accessory}-${host}-run`, transport);
}

interface Drift {
  readonly what: string;
  readonly host: string;
  readonly why: string;
  readonly urn: string;
}

function drifts(
  probe: StackProbe,
  stack: string,
): { drift: Drift[]; unreachable: string[]; unmanaged: string[] } {
  const transports = new Map(probe.config.hosts.map((host) => [host.name, host.transport]));
  const drift: Drift[] = [];
  const unreachable: string[] = [];
  /** Edges that are down but belong to another stack (this one has no slipway:edge.image). */
  const unmanaged: string[] = [];
  for (const { instance, hosts } of probe.services) {
    for (const host of hosts) {
      if (host.state === "unreachable") {
        unreachable.push(`${host.host}: ${host.error ?? "no answer"}`);
      } else if (host.state !== "in-sync") {
        drift.push({
          what: instance,
          host: host.host,
          why: host.error ?? host.state,
          urn: releaseUrn(stack, instance, host.host, transports.get(host.host) ?? "ssh"),
        });
      }
    }
  }
  const managed = probe.config.edge.image !== undefined;
  for (const { host, state } of probe.edges) {
    if (state !== "running") {
      if (!managed) {
        unmanaged.push(`${probe.config.edge.name} on ${host} is ${state}`);
        continue;
      }
      // The edge first: every route of the host goes through it.
      drift.unshift({
        what: `the edge ${probe.config.edge.name}`,
        host,
        why: `it is ${state}`,
        urn: edgeUrn(stack, probe.config.edge.name, host, transports.get(host) ?? "ssh"),
      });
    }
  }
  for (const entry of probe.accessories) {
    if (entry.state === "unreachable") {
      unreachable.push(`${entry.host}: ${entry.error ?? "no answer"}`);
    } else if (entry.state !== "healthy") {
      drift.push({
        what: entry.accessory,
        host: entry.host,
        why: entry.error ?? entry.state,
        urn: accessoryUrn(stack, entry.accessory, entry.host, transports.get(entry.host) ?? "ssh"),
      });
    }
  }
  return { drift, unreachable, unmanaged };
}

/**
 * `slipway repair --stack <stack>`: re-runs the pinned release of every service on every
 * host where what runs disagrees with the stack (stopped, removed, another digest, the edge
 * routing elsewhere), and restarts every accessory that is missing or unhealthy, by
 * replacing those commands in one `pulumi up`; what agrees is not touched. Nothing new is
 * released, so the ledger is unchanged.
 */
export async function repair(run: Run, stack: string): Promise<number> {
  const files = readStackFiles(run, stack);
  const probe = await probeHosts(run, stack);
  const before = drifts(probe, stack);
  if (before.unreachable.length > 0) {
    throw new CliError(EXIT.unreachable, `cannot see what runs on ${before.unreachable[0]!}`, [
      `slipway status --stack ${stack}`,
    ]);
  }
  if (before.unmanaged.length > 0) {
    throw new CliError(
      EXIT.refused,
      `the edge ${before.unmanaged.join(", ")}, and ${stack} does not manage it (no slipway:edge.image): every route through it is down; nothing was changed`,
      [
        `slipway repair --stack <the stack that sets slipway:edge.image>  # starts the edge again`,
        `slipway repair --stack ${stack}  # then, for what else differs`,
      ],
    );
  }
  if (before.drift.length === 0) {
    run.result(`every host of ${stack} runs what it pins; nothing to repair`, {
      stack,
      repaired: [],
    });
    return EXIT.ok;
  }
  run.progress(
    `repairing ${before.drift.map((entry) => `${entry.what} on ${entry.host} (${entry.why})`).join(", ")}`,
  );
  let streamed = "";
  try {
    await run.deps.driver.up(stack, {
      onOutput: (text) => {
        streamed += text;
        run.progress(text.trimEnd());
      },
      replace: before.drift.map((entry) => entry.urn),
      ...(run.deps.signal === undefined ? {} : { signal: run.deps.signal }),
    });
  } catch (error) {
    if (!(error instanceof DriverError)) {
      throw error;
    }
    // A locked stack, pending operations, a failed or interrupted update: as `slipway up`
    // and `promote` say them, with the same exit code (4).
    throw updateFailure(
      run,
      files,
      probe.config.role,
      error,
      streamed,
      `slipway repair --stack ${stack}`,
    );
  }
  const after = drifts(await probeHosts(run, stack), stack);
  const repaired = before.drift.map((entry) => `${entry.what} on ${entry.host}`);
  run.result(
    after.drift.length === 0
      ? `repaired ${repaired.join(", ")}: every host of ${stack} runs what it pins`
      : `still differing after the repair: ${after.drift.map((entry) => `${entry.what} on ${entry.host} (${entry.why})`).join(", ")}`,
    {
      stack,
      repaired: before.drift.map((entry) => ({ name: entry.what, host: entry.host })),
      stillDiffering: after.drift.map((entry) => ({
        name: entry.what,
        host: entry.host,
        why: entry.why,
      })),
    },
  );
  return after.drift.length === 0 ? EXIT.ok : EXIT.drift;
}
