import type { PromotionConfig } from "../../config/promotion";
import { holdOf, readLedger, soakOf } from "../../ledger";
import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import type { ImageOutput } from "../outputs";
import { validatePromotion } from "../../config/validate";
import { markSecrets } from "../../config/source";
import { driverCall, refusal } from "../pinning";
import type { StackFiles } from "../stack-config";

/** Where a promotion comes from, and the target's `slipway:promotion` (if it has one). */
interface PromotionSource {
  readonly from: string;
  readonly promotion?: PromotionConfig;
}

/**
 * The source of a promotion: `--from`, else (with `--auto`) the target's
 * `slipway:promotion.from`. `--auto` without that section is refused, naming the key.
 */
export async function promotionSource(
  run: Run,
  to: string,
  options: { readonly from?: string; readonly auto?: boolean },
): Promise<PromotionSource> {
  // Only slipway:promotion: before its first promotion the target pins no image and is not a
  // whole config yet; promote checks the whole config with the new pins.
  const source = await driverCall(run, to, () => run.deps.driver.config(to));
  let promotion: PromotionConfig | undefined;
  try {
    promotion = validatePromotion(to, markSecrets(source));
  } catch (error) {
    return refusal(error, { run, stack: to });
  }
  if (options.auto === true) {
    if (promotion === undefined) {
      throw new CliError(
        EXIT.refused,
        `promote --auto needs slipway:promotion in Pulumi.${to}.yaml: the stack to promote from and how long a digest must run there first`,
        [
          `pulumi config set --path --stack ${to} slipway:promotion.from dev`,
          `pulumi config set --path --stack ${to} slipway:promotion.minSoakMinutes 60`,
        ],
      );
    }
    if (options.from !== undefined && options.from !== promotion.from) {
      throw new CliError(
        EXIT.usage,
        `--from ${options.from} is not slipway:promotion.from of ${to} (${promotion.from}); --auto promotes only from there`,
      );
    }
    return { from: promotion.from, promotion };
  }
  if (options.from === undefined) {
    throw new CliError(
      EXIT.usage,
      "give --from <stack>, or --auto to promote from slipway:promotion.from",
      [`slipway promote --from ${promotion?.from ?? "dev"} --to ${to}`],
    );
  }
  return { from: options.from, ...(promotion === undefined ? {} : { promotion }) };
}

/**
 * `--auto` stops while the target holds what a person chose: prints why and returns true
 * (exit 0: a scheduled run that finds a hold has done its job).
 */
export function heldForAuto(run: Run, files: StackFiles, from: string): boolean {
  const hold = holdOf(files.ledger, files.pins);
  if (hold === undefined) {
    return false;
  }
  run.result(
    `held: ${hold}; promote --auto promotes nothing until someone promotes by hand:\n  slipway promote --from ${from} --to ${files.stack}`,
    { stack: files.stack, source: from, held: true, why: hold, updated: false },
  );
  return true;
}

/**
 * The soak gate: each digest must have run on the source for `minSoakMinutes` (from its
 * ledger), and be what the source runs now. A manual promote is refused (exit 3) unless
 * --force; `--auto` prints when it will be eligible and returns true (exit 0, nothing done).
 */
export function soakGate(
  run: Run,
  input: {
    readonly from: string;
    readonly to: string;
    readonly promotion: PromotionConfig | undefined;
    readonly images: Readonly<Record<string, ImageOutput>>;
    readonly auto: boolean;
    readonly force: boolean;
  },
): boolean {
  const { from, to, promotion } = input;
  if (promotion === undefined || promotion.from !== from || promotion.minSoakMinutes === 0) {
    return false;
  }
  let source;
  try {
    source = readLedger(from, run.deps.root);
  } catch (error) {
    return refusal(error);
  }
  const states = soakOf(
    source,
    Object.fromEntries(Object.entries(input.images).map(([name, image]) => [name, image.digest])),
    promotion.minSoakMinutes,
    run.deps.now(),
  );
  const problems = states.flatMap((state) => (state.problem === undefined ? [] : [state.problem]));
  if (problems.length === 0) {
    run.progress(
      `soaked: ${states.map((state) => `${state.image} has run on ${from} since ${state.since}`).join("; ")} (minSoakMinutes ${promotion.minSoakMinutes})`,
    );
    return false;
  }
  const eligible = states
    .map((state) => state.eligibleAt)
    .filter((at): at is string => at !== undefined)
    .sort()
    .pop();
  const text = problems.length === 1 ? problems[0]! : `\n  ${problems.join("\n  ")}`;
  if (input.auto) {
    run.result(`nothing eligible to promote from ${from} to ${to} yet: ${text}`, {
      stack: to,
      source: from,
      eligible: false,
      problems,
      ...(eligible === undefined ? {} : { eligibleAt: eligible }),
      updated: false,
    });
    return true;
  }
  if (!input.force) {
    throw new CliError(
      EXIT.refused,
      `refused (slipway:promotion.minSoakMinutes of ${to}): ${text}`,
      [`${run.by} --force  # promote it before it soaked`],
    );
  }
  for (const problem of problems) {
    run.progress(`warning: ${problem}; promoting it anyway (--force)`);
  }
  return false;
}
