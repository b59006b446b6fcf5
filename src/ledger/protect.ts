import * as fs from "node:fs";
import * as path from "node:path";
import { LEDGER_DIR, parseLedger } from "./ledger";
import { isRejectionsFile } from "./rejections";
import { readPins } from "./stack-file";

/** Digests that retention must never delete, each with why (for the report). */
type ProtectedDigests = Map<string, string[]>;

function add(map: ProtectedDigests, digest: string, reason: string): void {
  const reasons = map.get(digest) ?? [];
  if (!reasons.includes(reason)) {
    reasons.push(reason);
  }
  map.set(digest, reasons);
}

/**
 * Every digest pinned in a `Pulumi.<stack>.yaml` or recorded in a ledger under
 * `stacks/releases/`, of every stack in the project. A file that cannot be read or parsed
 * makes this throw: deleting images while a ledger is unreadable is never safe.
 */
export function protectedDigests(root: string): ProtectedDigests {
  const result: ProtectedDigests = new Map();
  for (const name of fs.readdirSync(root).sort()) {
    const match = /^Pulumi\.(.+)\.yaml$/.exec(name);
    if (match === null) {
      continue;
    }
    const pins = readPins(fs.readFileSync(path.join(root, name), "utf8"), name);
    for (const [image, pin] of Object.entries(pins)) {
      if (pin.digest !== undefined) {
        add(result, pin.digest, `pinned in ${name} (${image})`);
      }
    }
  }
  const dir = path.join(root, LEDGER_DIR);
  const ledgers = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  for (const name of ledgers) {
    const match = /^([^.].*)\.yaml$/.exec(name);
    if (match === null || isRejectionsFile(name)) {
      continue;
    }
    const display = path.join(LEDGER_DIR, name);
    const ledger = parseLedger(fs.readFileSync(path.join(dir, name), "utf8"), match[1]!, display);
    for (const release of ledger.releases) {
      for (const [image, entry] of Object.entries(release.images)) {
        add(result, entry.digest, `ledger of ${ledger.stack} #${release.id} (${image})`);
      }
    }
  }
  return result;
}
