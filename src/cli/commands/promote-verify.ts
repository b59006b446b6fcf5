import { verifyDigests, type VerifyTarget } from "../../supply";
import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { validatedConfig } from "../pinning";

/**
 * The verification step of `slipway promote`: when the target stack has `slipway:verify`,
 * each digest must be signed by its key or identity and carry the attestations it requires
 * (the same script the target's Verification resource runs before any host pulls). Refuses
 * before anything is pinned, naming every refused digest and why.
 */
export async function verifyForPromotion(
  run: Run,
  to: string,
  raw: Readonly<Record<string, unknown>>,
  targets: readonly VerifyTarget[],
): Promise<void> {
  if (raw.verify === undefined || raw.verify === null) {
    return;
  }
  const config = await validatedConfig(run, to);
  if (config.verify === undefined) {
    return;
  }
  const results = verifyDigests(targets, config.verify, config.registry);
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
