import type { Release } from "../../ledger";
import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { parseReleaseRecord, releaseFile, type DeployedRelease } from "../host-release";
import { imagesOutput } from "../outputs";
import { driverCall, readStackFiles, validatedConfig } from "../pinning";
import { formatTable, shortDigest } from "../table";

/** What one host runs compared with what the stack pins. */
export type HostState = "in-sync" | "drift" | "no-release" | "unreadable" | "unreachable";

export interface HostStatus {
  readonly host: string;
  readonly state: HostState;
  readonly current?: DeployedRelease;
  readonly previous?: readonly DeployedRelease[];
  /** Why the record could not be read or used. */
  readonly error?: string;
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
 * `slipway status --stack <stack>`: what each host runs (its release record) against what
 * the stack pins (a promote stack's pin, a build stack's last deployed output).
 */
export async function status(run: Run, stack: string): Promise<number> {
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
  const last: Release | undefined = files.ledger.releases[files.ledger.releases.length - 1];
  const file = releaseFile(run.deps.releaseRoot, service.name);

  const hosts: HostStatus[] = [];
  for (const host of config.hosts) {
    const read = await run.deps.hosts.read(host, file);
    switch (read.kind) {
      case "missing":
        hosts.push({ host: host.name, state: "no-release" });
        break;
      case "unreachable":
        hosts.push({ host: host.name, state: "unreachable", error: read.message });
        break;
      case "found": {
        const record = parseReleaseRecord(read.text);
        if (typeof record === "string") {
          hosts.push({ host: host.name, state: "unreadable", error: record });
          break;
        }
        hosts.push({
          host: host.name,
          state: record.current.digest === expected ? "in-sync" : "drift",
          current: record.current,
          previous: record.previous,
        });
        break;
      }
      default: {
        const unreachable: never = read;
        return unreachable;
      }
    }
  }

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
    entry.current === undefined ? "-" : shortDigest(entry.current.digest),
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
    `${list.length} of ${hosts.length} host${hosts.length === 1 ? "" : "s"} (${list.join(", ")})`;
  const footer =
    hosts.length === 0
      ? `${stack} declares no hosts`
      : [
          ...(drifting.length === 0 && unreachableHosts.length === 0
            ? [`every host runs what ${stack} pins`]
            : []),
          ...(drifting.length === 0
            ? []
            : [`${count(drifting)} differ; next: slipway up --stack ${stack}`]),
          ...(unreachableHosts.length === 0
            ? []
            : [
                `${count(unreachableHosts)} could not be read; check SSH access, then: slipway status --stack ${stack}`,
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
