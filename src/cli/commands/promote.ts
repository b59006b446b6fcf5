import { PLATFORMS } from "../../config/images";
import type { RegistryConfig } from "../../config/registry";
import { markSecrets } from "../../config/source";
import { slipwayVersion } from "../../version";
import { validateConfig } from "../../config/validate";
import { readLedger, type PinUpdate } from "../../ledger";
import { recordedTag } from "../../registry";
import type { Run } from "../context";
import type { UpdateInfo } from "../driver";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { imagesOutput, type ImageOutput } from "../outputs";
import {
  defaultRepository,
  driverCall,
  pinAndUp,
  readStackFiles,
  refusal,
  stackSettings,
} from "../pinning";
import { checkDigests } from "../registries";
import { failuresOf, refuseRejected } from "../release-safety";
import { heldForAuto, promotionSource, soakGate } from "./promote-gate";
import { verifyForPromotion } from "./promote-verify";

interface PromoteOptions {
  /** The source stack; with `auto`, slipway:promotion.from of the target when absent. */
  readonly from?: string;
  readonly to: string;
  /** Only these images; every image the source exports by default. */
  readonly images?: readonly string[];
  readonly noUp: boolean;
  /** Promote even when the source's last update failed or was interrupted. */
  readonly force?: boolean;
  /**
   * The scheduled path: from slipway:promotion.from, only digests that soaked there, and
   * nothing while the target holds a rollback or a hand pin.
   */
  readonly auto?: boolean;
}

/** One promoted image, as printed and returned in --json. */
interface PromotedImage {
  readonly ref: string;
  readonly digest: string;
  readonly tag?: string;
  readonly revision?: string;
  /** The digest the target pinned before; undefined for a new image. */
  readonly previous?: string;
  readonly platforms: readonly string[];
}

function hasBuild(raw: Readonly<Record<string, unknown>>, name: string): boolean {
  const images = raw.images as Record<string, { build?: unknown } | undefined> | undefined;
  return images?.[name]?.build !== undefined && images[name]?.build !== null;
}

/** The platforms each image must have: the source's build platforms, else what it exported. */
async function requiredPlatforms(
  run: Run,
  from: string,
  names: readonly string[],
  exported: Readonly<Record<string, ImageOutput>>,
): Promise<{ platforms: Record<string, readonly string[]>; registry?: RegistryConfig }> {
  const source = await driverCall(run, from, () => run.deps.driver.config(from));
  let config;
  try {
    config = validateConfig(from, markSecrets(source), {
      root: run.deps.root,
      installedVersion: slipwayVersion(),
    });
  } catch (error) {
    return refusal(error, { run, stack: from });
  }
  const platforms: Record<string, readonly string[]> = {};
  for (const name of names) {
    const image = config.images.find((candidate) => candidate.name === name);
    platforms[name] =
      image?.kind === "build"
        ? image.build.platforms
        : exported[name]!.platforms.length > 0
          ? exported[name]!.platforms
          : PLATFORMS;
  }
  return { platforms, registry: config.registry };
}

/**
 * `slipway promote --from <stack> --to <stack>`: pins the digests a healthy source stack
 * exported, after checking each one in the registry, and runs the update.
 */
export async function promote(run: Run, options: PromoteOptions): Promise<void> {
  const { to } = options;
  const again = run.by;
  if (options.from === to) {
    throw new CliError(
      EXIT.usage,
      `--from and --to are both ${to}; promote from one stack to another`,
    );
  }
  const files = readStackFiles(run, to);
  const { from, promotion } = await promotionSource(run, to, options);
  if (options.auto === true && heldForAuto(run, files, from)) {
    return;
  }

  const last = await driverCall(run, from, () => run.deps.driver.lastUpdate(from));
  if (last === undefined) {
    throw new CliError(
      EXIT.refused,
      `${from} has never been updated; there is nothing to promote`,
      [`pulumi up --stack ${from}`, again],
    );
  }
  const state = await driverCall(run, from, () => run.deps.driver.state(from));
  const unhealthy = sourceProblem(from, last, state.pending);
  if (unhealthy !== undefined) {
    if (options.force !== true) {
      throw new CliError(EXIT.refused, `${unhealthy}; its outputs may not be what its hosts run`, [
        ...(state.pending.length > 0
          ? [`pulumi refresh --stack ${from} --clear-pending-creates --yes`]
          : []),
        `pulumi up --stack ${from}  # fix and deploy ${from} first`,
        `${again} --force  # promote its last outputs anyway`,
      ]);
    }
    run.progress(`warning: ${unhealthy}; promoting its last outputs anyway (--force)`);
  }

  const exported = imagesOutput(state.outputs, from);
  const names = options.images ?? Object.keys(exported);
  const unknown = names.filter((name) => !(name in exported));
  if (unknown.length > 0 || names.length === 0) {
    throw new CliError(
      EXIT.refused,
      names.length === 0
        ? `${from} exports no image`
        : `${from} exports no image ${unknown.map((name) => JSON.stringify(name)).join(", ")} (it exports ${Object.keys(exported).join(", ") || "none"})`,
      [
        `slipway promote --from ${from} --to ${to}${Object.keys(exported).length > 0 ? ` --image ${Object.keys(exported)[0]}` : ""}`,
      ],
    );
  }

  refuseRejected(
    run,
    names.map((name) => ({ what: `image ${name}`, digest: exported[name]!.digest })),
    [`pulumi up --stack ${from}  # deploy a release without the rejected digest first`],
  );
  const failed = failedDigests(run, [to, from], names, exported);
  if (failed.length > 0) {
    if (options.force !== true) {
      throw new CliError(
        EXIT.refused,
        `refused: ${failed.length === 1 ? failed[0]! : `\n  ${failed.join("\n  ")}`}`,
        [
          `pulumi up --stack ${from}  # deploy a fixed release first`,
          `${again} --force  # promote it anyway`,
        ],
      );
    }
    for (const line of failed) {
      run.progress(`warning: ${line}; promoting it anyway (--force)`);
    }
  }

  if (
    soakGate(run, {
      from,
      to,
      promotion,
      images: Object.fromEntries(names.map((name) => [name, exported[name]!])),
      auto: options.auto === true,
      force: options.force === true,
    })
  ) {
    return;
  }

  const settings = await stackSettings(run, to);
  const building = names.filter((name) => hasBuild(settings.raw, name));
  if (building.length > 0) {
    throw new CliError(
      EXIT.refused,
      `${to} builds ${building.join(", ")} itself; promotion pins digests only in a stack that does not build them`,
      [`slipway promote --from ${from} --to <a stack with role promote>`],
    );
  }

  const required = await requiredPlatforms(run, from, names, exported);
  const checked = await checkDigests(
    run,
    names.map((name) => ({
      name,
      ref: exported[name]!.ref,
      platforms: required.platforms[name]!,
    })),
    [settings.registry, ...(required.registry === undefined ? [] : [required.registry])],
    [`pulumi up --stack ${from}  # rebuild and push every configured platform`, again],
  );

  verifyForPromotion(
    run,
    to,
    settings,
    names.map((name) => ({ image: name, ref: exported[name]!.ref })),
  );

  const updates: Record<string, PinUpdate> = {};
  const promoted: Record<string, PromotedImage> = {};
  for (const name of names) {
    const image = exported[name]!;
    const previous = files.pins[name]?.digest;
    const tag = recordedTag(image.tags);
    promoted[name] = {
      ref: image.ref,
      digest: image.digest,
      ...(tag === undefined ? {} : { tag }),
      ...(image.revision === undefined ? {} : { revision: image.revision }),
      ...(previous === undefined ? {} : { previous }),
      platforms: checked[name]?.platforms ?? [],
    };
    if (previous === image.digest) {
      continue;
    }
    updates[name] = {
      digest: image.digest,
      tag: tag ?? null,
      revision: image.revision ?? null,
      repository:
        image.repository === defaultRepository(settings.registry, name) ? null : image.repository,
      source: from,
      restores: null,
    };
  }

  const changed = Object.keys(updates);
  if (changed.length === 0) {
    run.result(
      `${to} already pins what ${from} runs (${names.map((name) => `${name} ${exported[name]!.digest}`).join(", ")}); nothing to promote.\n` +
        `To re-run the update anyway: slipway up --stack ${to}`,
      { stack: to, source: from, images: promoted, changed: [], updated: false },
    );
    return;
  }

  const { up } = await pinAndUp(run, files, settings, updates, { noUp: options.noUp });
  const lines = names.map((name) => {
    const image = promoted[name]!;
    const what = changed.includes(name)
      ? `${image.previous ?? "(new)"} -> ${image.digest}`
      : `${image.digest} (unchanged)`;
    return `  ${name}: ${what}${image.tag === undefined ? "" : ` ${image.tag}`}${image.revision === undefined ? "" : ` rev ${image.revision.slice(0, 12)}`}`;
  });
  const release = up?.record.release;
  const summary =
    up === undefined
      ? `pinned in ${files.display} (not deployed: --no-up):\n${lines.join("\n")}\nnext: slipway up --stack ${to}  # records it as a promotion from ${from}`
      : up.record.recorded
        ? `promoted ${from} -> ${to}, release #${up.record.release.id}:\n${lines.join("\n")}`
        : `promoted ${from} -> ${to} (${up.record.message}):\n${lines.join("\n")}`;
  run.result(summary, {
    stack: to,
    source: from,
    images: promoted,
    changed,
    updated: up !== undefined,
    recorded: up?.record.recorded === true,
    ...(release === undefined ? {} : { release }),
  });
}

/** Each image whose digest failed its health check on one of `stacks` (their ledgers say so). */
function failedDigests(
  run: Run,
  stacks: readonly string[],
  names: readonly string[],
  exported: Readonly<Record<string, ImageOutput>>,
): string[] {
  return stacks.flatMap((stack) => {
    let ledger;
    try {
      ledger = readLedger(stack, run.deps.root);
    } catch (error) {
      return refusal(error);
    }
    return names.flatMap((name) =>
      failuresOf(ledger, exported[name]!.digest).map(
        (entry) =>
          `image ${name}: ${entry.digest} failed its health check on ${stack} at ${entry.at} and was reverted (${entry.reason})`,
      ),
    );
  });
}

/** Why a source stack is not a healthy release, or undefined when it is. */
function sourceProblem(
  from: string,
  last: UpdateInfo,
  pending: readonly string[],
): string | undefined {
  const when = last.endTime ?? last.startTime;
  const facts = [
    ...(last.version === undefined ? [] : [`version ${last.version}`]),
    ...(when === undefined ? [] : [when]),
  ];
  const which = `the last update of ${from}${facts.length === 0 ? "" : ` (${facts.join(", ")})`}`;
  if (pending.length > 0) {
    return `an update of ${from} was interrupted and left ${pending.length} operation${pending.length === 1 ? "" : "s"} pending (${pending.join("; ")})`;
  }
  switch (last.result) {
    case "succeeded":
      return undefined;
    case "in-progress":
      return `${which} is still running, or was interrupted`;
    case "failed":
      return `${which} failed`;
    case "not-started":
      return `${which} did not run`;
    default: {
      const unreachable: never = last.result;
      return unreachable;
    }
  }
}
