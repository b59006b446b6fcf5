import * as fs from "node:fs";
import { expandHome, type VerifyConfig } from "../config";

/** The public key text of `slipway:verify` (inline, or read from publicKeyFile); none for keyless. */
export function verifyPublicKey(verify: VerifyConfig): string | undefined {
  if (verify.publicKey !== undefined) {
    return verify.publicKey;
  }
  if (verify.publicKeyFile === undefined) {
    return undefined;
  }
  const file = expandHome(verify.publicKeyFile);
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(
      `slipway:verify.publicKeyFile: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}

/** The cosign private key text of `slipway:attestations.cosignKeyFile`. */
export function cosignKeyFromFile(keyFile: string): string {
  const file = expandHome(keyFile);
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(
      `slipway:attestations.cosignKeyFile: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}
