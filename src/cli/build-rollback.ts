import type { SlipwayConfig } from "../config/schema";
import { buildCommit } from "../images/rollback-pin";
import { readSource } from "../images/source";
import { stampedPaths } from "../images/plan";
import { removeRollbackPins, type StackPin } from "../ledger";
import type { Run } from "./context";
import { CliError } from "./errors";
import { EXIT } from "./exit-codes";
import { refusal, roleOf, stackSettings, validatedConfig, writeStackFile } from "./pinning";
import { upAndRecord } from "./update";
import type { StackFiles } from "./stack-config";

/**
 * A build stack's rollback: it pins the earlier digest beside the image's `build`, with
 * `pinnedAt` (see src/images/rollback-pin.ts), so the stack runs it until the next build
 * release or `slipway rollback --unpin`.
 */

/**
 * What the stack runs now, by image: its pins, and for an image it builds without one, what
 * the newest release of the ledger that has it ran.
 */
export function runningDigests(
  files: StackFiles,
  config: SlipwayConfig,
): Record<string, { readonly digest?: string }> {
  const newestFirst = [...files.ledger.releases].reverse();
  const running: Record<string, { readonly digest?: string }> = { ...files.pins };
  for (const image of config.images) {
    const recorded = newestFirst.find((release) => image.name in release.images)?.images[
      image.name
    ];
    if (image.kind === "build" && image.rollbackPin === undefined && recorded !== undefined) {
      running[image.name] = { digest: recorded.digest };
    }
  }
  return running;
}

/**
 * For each image of `names` that the stack builds: the commit its build comes from now (what
 * the pin's `pinnedAt` records). Refused outside a git checkout.
 */
export function pinnedAtOf(
  run: Run,
  config: SlipwayConfig,
  names: readonly string[],
): Record<string, string> {
  const builds = config.images.flatMap((image) =>
    image.kind === "build" && names.includes(image.name) ? [image] : [],
  );
  if (builds.length === 0) {
    return {};
  }
  let source;
  try {
    source = readSource({
      root: run.deps.root,
      paths: builds.map((image) => image.build.context),
      ...stampedPaths(
        builds.map((image) => image.build),
        run.deps.root,
      ),
    });
  } catch (error) {
    throw new CliError(
      EXIT.refused,
      `${config.stack} builds ${builds.map((image) => image.name).join(", ")}: its rollback pin records the commit the build came from, and ${(error as Error).message}`,
    );
  }
  return Object.fromEntries(builds.map((image) => [image.name, buildCommit(source, image.build)]));
}

/** The images whose rollback pin `--unpin` removes: those named, else every one. */
function rollbackPinsToEnd(
  config: SlipwayConfig,
  pins: Readonly<Record<string, StackPin>>,
  only: readonly string[] | undefined,
): string[] {
  const pinned = config.images.flatMap((image) =>
    image.kind === "build" && image.rollbackPin !== undefined ? [image.name] : [],
  );
  const wanted = [...(only ?? pinned)];
  const refused = wanted.filter((name) => !pinned.includes(name));
  if (refused.length > 0) {
    throw new CliError(
      EXIT.refused,
      `${config.stack} has no rollback pin on ${refused.join(", ")}${
        refused.some((name) => pins[name] !== undefined)
          ? " (a pin without build is what the stack runs: roll it back or promote instead)"
          : ""
      }; rollback pins: ${pinned.join(", ") || "none"}`,
    );
  }
  if (wanted.length === 0) {
    throw new CliError(
      EXIT.refused,
      `${config.stack} has no rollback pin; every image it builds is built from the checkout`,
    );
  }
  return wanted;
}

/**
 * `slipway rollback --unpin [--image <name>]`: removes the rollback pins (every one, or those
 * named) from the stack file, so those images build again, and runs the update.
 */
export async function endRollbackPins(
  run: Run,
  files: StackFiles,
  only: readonly string[] | undefined,
  noUp: boolean,
): Promise<void> {
  const stack = files.stack;
  const config = await validatedConfig(run, stack);
  const names = rollbackPinsToEnd(config, files.pins, only);
  let text: string;
  try {
    text = removeRollbackPins(files.text, names, files.display);
    writeStackFile(run, files, text);
  } catch (error) {
    return refusal(error, { run, stack });
  }
  run.progress(`unpinned ${names.join(", ")} in ${files.display}: built from the checkout again`);
  const up = noUp
    ? undefined
    : await upAndRecord(run, { ...files, text }, roleOf((await stackSettings(run, stack)).raw));
  run.result(
    up === undefined
      ? `unpinned ${names.join(", ")} in ${files.display} (not deployed: --no-up)\nnext: slipway up --stack ${stack}`
      : `unpinned ${names.join(", ")} in ${files.display}; ${stack} built ${names.length === 1 ? "it" : "them"} from the checkout${up.record.recorded ? `, recorded as release #${up.record.release.id}` : ` (${up.record.message})`}`,
    {
      stack,
      unpinned: names,
      updated: up !== undefined,
      recorded: up?.record.recorded === true,
      ...(up?.record.release === undefined ? {} : { release: up.record.release }),
    },
  );
}
