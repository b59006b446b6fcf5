import { ledgerFile, type Release } from "../../ledger";
import type { Run } from "../context";
import { readStackFiles } from "../pinning";
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

/** `slipway history --stack <stack>`: the ledger as a table (or JSON). */
export function history(run: Run, stack: string): void {
  const files = readStackFiles(run, stack);
  const { releases } = files.ledger;
  const pinned = Object.entries(files.pins).filter(([, pin]) => pin.digest !== undefined);
  const matches = (release: Release) =>
    pinned.length > 0 && pinned.every(([name, pin]) => release.images[name]?.digest === pin.digest);
  const current = [...releases].reverse().find(matches);
  const notes: string[] = [];
  if (releases.length === 0) {
    notes.push(`no releases recorded for ${stack} yet (${ledgerFile(stack)})`);
  } else if (current !== undefined) {
    notes.push(`* what ${files.display} pins now`);
  }
  if (pinned.length > 0 && current === undefined) {
    notes.push(
      `${files.display} pins ${pinned.map(([name, pin]) => `${name} ${shortDigest(pin.digest!)}`).join(", ")}, which no release records ` +
        `(pinned with --no-up, or its update failed); next: slipway up --stack ${stack}`,
    );
  }
  const rows: string[][] = [];
  for (const release of releases) {
    Object.entries(release.images).forEach(([name, image], index) => {
      rows.push(
        index === 0
          ? [
              `${release.id}${release === current ? "*" : ""}`,
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
    current: current?.id ?? null,
    pins: Object.fromEntries(pinned.map(([name, pin]) => [name, pin])),
  });
}
