import type { Run } from "../context";
import { readStackFiles, upAndRecord, validatedConfig } from "../pinning";

/**
 * `slipway up --stack <stack>`: runs the update of a stack as its files are (after
 * `--no-up`, or to retry a failed update) and records the release in the ledger.
 */
export async function up(run: Run, stack: string): Promise<void> {
  const files = readStackFiles(run, stack);
  const config = await validatedConfig(run, stack);
  const release = await upAndRecord(run, files, config.registry, { kind: "up" });
  const lines = Object.entries(release.images).map(
    ([name, image]) =>
      `  ${name}: ${image.digest}${image.tag === undefined ? "" : ` ${image.tag}`}`,
  );
  run.result(`updated ${stack}; recorded release #${release.id}:\n${lines.join("\n")}`, {
    stack,
    release,
  });
}
