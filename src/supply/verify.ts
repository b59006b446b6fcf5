import { spawnSync } from "node:child_process";
import type { RegistryConfig, VerifyConfig } from "../config";
import { verifyPublicKey } from "./keys";
import { SUPPLY_SECRET_ENV } from "./script";
import { verifyScript } from "./verify-script";

/** One digest to verify before it is pinned or deployed. */
export interface VerifyTarget {
  readonly image: string;
  readonly ref: string;
}

interface VerifyResult {
  readonly image: string;
  readonly ref: string;
  readonly ok: boolean;
  /** `slipway: verified …`, or the refusal line `slipway: refused <ref>: <reason>`. */
  readonly message: string;
}

/** Registry login as docker config's `auth`, for the script's environment only. */
export function registryAuth(registry: RegistryConfig): string | undefined {
  return registry.username === undefined || registry.password === undefined
    ? undefined
    : Buffer.from(`${registry.username}:${registry.password.reveal()}`).toString("base64");
}

/**
 * Verifies each digest with the same script the program's Verification resource runs
 * (`verifyScript`), here on the machine running `slipway promote`. Returns one result per
 * target, in order; it never throws for a refusal.
 */
export function verifyDigests(
  targets: readonly VerifyTarget[],
  verify: VerifyConfig,
  registry: RegistryConfig,
): VerifyResult[] {
  const publicKey = verifyPublicKey(verify);
  const auth = registryAuth(registry);
  return targets.map((target) => {
    const script = verifyScript({
      image: target.image,
      ref: target.ref,
      verify,
      insecure: registry.insecure,
      ...(publicKey === undefined ? {} : { publicKey }),
    });
    const run = spawnSync("/bin/sh", ["-c", script], {
      encoding: "utf8",
      env: {
        ...process.env,
        ...(auth === undefined ? {} : { [SUPPLY_SECRET_ENV.registryAuth]: auth }),
      },
    });
    const out = `${run.stdout ?? ""}\n${run.stderr ?? ""}`;
    const verdict = out
      .split("\n")
      .reverse()
      .find(
        (line) => line.startsWith("slipway: refused ") || line.startsWith("slipway: verified "),
      );
    const ok = run.status === 0;
    return {
      image: target.image,
      ref: target.ref,
      ok,
      message:
        verdict ??
        (ok
          ? `slipway: verified ${target.ref}`
          : `slipway: refused ${target.ref}: verification did not finish (${(run.stderr ?? run.error?.message ?? "").trim().split("\n").pop() ?? ""})`),
    };
  });
}
