import { ledgerFile, type Release } from "../../ledger";
import type { Run } from "../context";
import { readStackFiles } from "../pinning";
import { runningOnHosts, type Running } from "../running";
import { formatTable, shortDigest } from "../table";

function kindText(release: Release): string {
  switch (release.kind) {
    case "promote":
      return release.source === undefined ? "promote" : `promote from ${release.source}`;
    case "rollback":
      return release.restores === undefined ? "rollback" : `rollback to #${release.restores}`;
    case "up":
      return "up";
    default: {
      const unreachable: never = release.kind;
      return unreachable;
    }
  }
}

/** What each host runs, by host: image name → digest. */
function byHost(running: Running): Map<string, Record<string, string>> {
  const hosts = new Map<string, Record<string, string>>();
  for (const [image, perHost] of Object.entries(running.images)) {
    for (const [host, digest] of Object.entries(perHost)) {
      hosts.set(host, { ...(hosts.get(host) ?? {}), [image]: digest });
    }
  }
  return hosts;
}

/**
 * The release each host runs: for each host, the newest release that has every digest the
 * host's services run. Returns release ids with the hosts on each.
 */
function markRunning(releases: readonly Release[], running: Running): Map<number, string[]> {
  const marks = new Map<number, string[]>();
  for (const [host, digests] of byHost(running)) {
    const release = [...releases]
      .reverse()
      .find((entry) =>
        Object.entries(digests).every(([image, digest]) => entry.images[image]?.digest === digest),
      );
    if (release !== undefined) {
      marks.set(release.id, [...(marks.get(release.id) ?? []), host]);
    }
  }
  return marks;
}

/** `slipway history --stack <stack>`: the ledger as a table (or JSON); `*` marks what hosts run. */
export async function history(run: Run, stack: string): Promise<void> {
  const files = readStackFiles(run, stack);
  const { releases } = files.ledger;
  const running = releases.length === 0 ? undefined : await runningOnHosts(run, stack);
  const marks =
    running === undefined || "unknown" in running
      ? new Map<number, string[]>()
      : markRunning(releases, running);
  const notes: string[] = [];
  if (releases.length === 0) {
    notes.push(`no releases recorded for ${stack} yet (${ledgerFile(stack)})`);
  } else if (running !== undefined && "unknown" in running) {
    notes.push(
      `what the hosts run is not known (${running.unknown.split("\n")[0]}); no release is marked`,
    );
  } else if (marks.size > 0) {
    notes.push(
      `* what the hosts run: ${[...marks].map(([id, hosts]) => `#${id} on ${hosts.join(", ")}`).join("; ")}`,
    );
  } else if (running !== undefined) {
    const hosts = [...byHost(running)];
    notes.push(
      hosts.length === 0
        ? `no host of ${stack} has a successful deploy`
        : `the hosts run digests no release records (${hosts
            .map(
              ([host, digests]) =>
                `${host}: ${Object.entries(digests)
                  .map(([image, digest]) => `${image} ${shortDigest(digest)}`)
                  .join(", ")}`,
            )
            .join("; ")}); next: slipway record --stack ${stack}`,
    );
  }
  const pinned = Object.entries(files.pins).filter(([, pin]) => pin.digest !== undefined);
  const last = releases[releases.length - 1];
  if (
    pinned.length > 0 &&
    last !== undefined &&
    !pinned.every(([name, pin]) => last.images[name]?.digest === pin.digest)
  ) {
    notes.push(
      `${files.display} pins ${pinned.map(([name, pin]) => `${name} ${shortDigest(pin.digest!)}`).join(", ")}, which the last release does not run ` +
        `(pinned with --no-up, or its update failed); next: slipway up --stack ${stack}`,
    );
  }
  const rows: string[][] = [];
  for (const release of releases) {
    Object.entries(release.images).forEach(([name, image], index) => {
      rows.push(
        index === 0
          ? [
              `${release.id}${marks.has(release.id) ? "*" : ""}`,
              release.at,
              kindText(release),
              name,
              shortDigest(image.digest),
              image.tag ?? "",
              image.revision?.slice(0, 7) ?? "",
              release.update.version === undefined ? "" : `v${release.update.version}`,
              release.user ?? "",
            ]
          : [
              "",
              "",
              "",
              name,
              shortDigest(image.digest),
              image.tag ?? "",
              image.revision?.slice(0, 7) ?? "",
            ],
      );
    });
  }
  const table =
    releases.length === 0
      ? ""
      : `${formatTable(["#", "AT", "KIND", "IMAGE", "DIGEST", "TAG", "REVISION", "UPDATE", "USER"], rows)}\n`;
  run.result(`${table}${notes.join("\n")}`, {
    stack,
    releases,
    running: Object.fromEntries(
      [...marks].flatMap(([id, hosts]) => hosts.map((host) => [host, id])),
    ),
    pins: Object.fromEntries(pinned.map(([name, pin]) => [name, pin])),
  });
}
