// The modules themselves: the folders' indexes also load @pulumi/pulumi (a second at every
// start of the CLI, whatever the command).
import { formatPath } from "../../config/errors";
import { PATH_PLACEHOLDER } from "../../config/primitives";
import type { RegistryConfig } from "../../config/registry";
import { verifyChecks, verifySchema } from "../../config/supply";
import { verifyDigests, type VerifyTarget } from "../../supply/verify";
import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";

/**
 * The verification step of `slipway promote`: when the target stack has `slipway:verify`,
 * each digest must be signed by its key or identity and carry the attestations it requires
 * (the same script the target's Verification resource runs before any host pulls). Refuses
 * before anything is pinned, naming every refused digest and why.
 */
export function verifyForPromotion(
  run: Run,
  to: string,
  settings: { readonly raw: Readonly<Record<string, unknown>>; readonly registry: RegistryConfig },
  targets: readonly VerifyTarget[],
): void {
  // Only slipway:verify is read here: the rest of the target (its pins) is what promotion is
  // about to change, and `pulumi up` validates all of it.
  const parsed = verifySchema.safeParse(settings.raw.verify, { reportInput: true });
  const problems = parsed.success
    ? []
    : parsed.error.issues.map(
        (issue) => `${formatPath("slipway:verify", issue.path)}: ${issue.message}`,
      );
  const raw = settings.raw.verify;
  verifyChecks(
    typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : undefined,
    (key, where, message) =>
      problems.push(
        `${formatPath(`slipway:${key}`, where)}: ${message.split(PATH_PLACEHOLDER).join(formatPath(`slipway:${key}`, where))}`,
      ),
  );
  if (!parsed.success || problems.length > 0) {
    throw new CliError(
      EXIT.refused,
      `slipway:verify of ${to} is not valid; nothing was pinned:\n${problems.map((line) => `  ${line}`).join("\n")}`,
    );
  }
  const verify = parsed.data;
  if (verify === undefined) {
    return;
  }
  let results;
  try {
    results = verifyDigests(targets, verify, settings.registry);
  } catch (error) {
    throw new CliError(EXIT.refused, `${to}: ${(error as Error).message}`);
  }
  for (const result of results.filter((r) => r.ok)) {
    run.progress(result.message);
  }
  const refused = results.filter((result) => !result.ok);
  if (refused.length > 0) {
    throw new CliError(
      EXIT.refused,
      `${to} accepts only verified digests (slipway:verify); nothing was pinned:\n${refused.map((r) => `  ${r.image}: ${r.message}`).join("\n")}`,
      [`pulumi up --stack <the build stack>  # sign, attest and scan the digest there`, run.by],
    );
  }
}
