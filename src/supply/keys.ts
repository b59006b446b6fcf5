import * as fs from "node:fs";
// The modules themselves: the folder's index also loads @pulumi/pulumi, and the CLI imports this.
import type { AttestationsConfig, VerifyConfig } from "../config";
import { expandHome } from "../config/paths";

/** A key file named in config, read on the deploying machine; `field` is its config path. */
function readKeyFile(keyFile: string, field: string): string {
  const file = expandHome(keyFile);
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(
      `${field}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}

/** The public key text of `slipway:verify` (inline, or read from publicKeyFile); none for keyless. */
export function verifyPublicKey(verify: VerifyConfig): string | undefined {
  if (verify.publicKey !== undefined) {
    return verify.publicKey;
  }
  return verify.publicKeyFile === undefined
    ? undefined
    : readKeyFile(verify.publicKeyFile, "slipway:verify.publicKeyFile");
}

/** The cosign private key: inline (a secret), or read from cosignKeyFile; none when unset. */
export function cosignKeyOf(
  attestations: Pick<AttestationsConfig, "cosignKey" | "cosignKeyFile">,
): string | undefined {
  if (attestations.cosignKey !== undefined) {
    return attestations.cosignKey.reveal();
  }
  return attestations.cosignKeyFile === undefined
    ? undefined
    : readKeyFile(attestations.cosignKeyFile, "slipway:attestations.cosignKeyFile");
}
