import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { driverCall } from "../pinning";
import { probeHosts, type HostStatus } from "./status";

/** The Pulumi project name (Pulumi.yaml `name`), part of every URN. */
export const PROJECT = "slipway";

/** URN of the command that runs a service's release on a host (infra/deploy HostDeployment). */
export function releaseUrn(
  stack: string,
  service: string,
  host: string,
  transport: "ssh" | "local",
): string {
  const type = transport === "ssh" ? "command:remote:Command" : "command:local:Command";
  return `urn:pulumi:${stack}::${PROJECT}::slipway:deploy:HostDeployment$${type}::${service}-${host}-release`;
}

/**
 * `slipway repair --stack <stack>`: re-runs the pinned release on every host whose running
 * release disagrees with the stack (stopped, removed, another digest, the edge routing
 * elsewhere), by replacing those hosts' release commands in one `pulumi up`; the hosts that
 * agree are not touched. Nothing new is released, so the ledger is unchanged.
 */
export async function repair(run: Run, stack: string): Promise<number> {
  const before = await probeHosts(run, stack);
  const unreachable = before.hosts.filter((host) => host.state === "unreachable");
  if (unreachable.length > 0) {
    throw new CliError(
      EXIT.unreachable,
      `cannot see what ${unreachable.map((host) => host.host).join(", ")} run: ${unreachable[0]!.error ?? ""}`,
      [`slipway status --stack ${stack}`],
    );
  }
  const drifting: HostStatus[] = before.hosts.filter((host) => host.state !== "in-sync");
  if (drifting.length === 0) {
    run.result(`every host of ${stack} runs what it pins; nothing to repair`, {
      stack,
      repaired: [],
    });
    return EXIT.ok;
  }
  const transports = new Map(before.config.hosts.map((host) => [host.name, host.transport]));
  const urns = drifting.map((host) =>
    releaseUrn(stack, before.service.name, host.host, transports.get(host.host) ?? "ssh"),
  );
  run.progress(
    `repairing ${drifting.map((host) => `${host.host} (${host.error ?? host.state})`).join(", ")}`,
  );
  await driverCall(run, stack, () =>
    run.deps.driver.up(stack, {
      onOutput: (text) => run.progress(text.trimEnd()),
      replace: urns,
      ...(run.deps.signal === undefined ? {} : { signal: run.deps.signal }),
    }),
  );
  const after = await probeHosts(run, stack);
  const still = after.hosts.filter((host) => host.state !== "in-sync");
  run.result(
    still.length === 0
      ? `repaired ${drifting.map((host) => host.host).join(", ")}: every host of ${stack} runs ${before.expected ?? "what it pins"}`
      : `still differing after the repair: ${still.map((host) => `${host.host} (${host.error ?? host.state})`).join(", ")}`,
    { stack, repaired: drifting.map((host) => host.host), stillDiffering: still },
  );
  return still.length === 0 ? EXIT.ok : EXIT.drift;
}
