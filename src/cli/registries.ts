import type { RegistryConfig } from "../config";
import { parseDigestReference } from "../reference";
import { missingPlatforms, RegistryError, type RegistryClient } from "../registry";
import type { Run } from "./context";
import { CliError } from "./errors";
import { EXIT } from "./exit-codes";

/**
 * A client for `server`, with the credentials and transport of the first registry config
 * that names the same server (anonymous HTTPS otherwise).
 */
export function clientFor(
  run: Run,
  server: string,
  registries: readonly RegistryConfig[],
): RegistryClient {
  const config = registries.find((registry) => registry.server === server);
  return run.deps.registry({
    server,
    insecure: config?.insecure ?? false,
    ...(config?.username === undefined ? {} : { username: config.username }),
    ...(config?.password === undefined ? {} : { password: config.password }),
  });
}

/** A digest to check before it is pinned. */
export interface DigestCheck {
  /** Image name, for messages. */
  readonly name: string;
  /** `repository@sha256:…`. */
  readonly ref: string;
  /** Platforms it must have; undefined: only that it exists. */
  readonly platforms?: readonly string[];
}

/**
 * What the registry says about each checked digest (`platforms` of the ones that exist), or
 * `heldOnHosts` for one the registry could not be asked about and `whenUnreachable` vouched
 * for.
 */
type CheckResult = Record<
  string,
  { readonly platforms: readonly string[]; readonly heldOnHosts?: true }
>;

/**
 * For digests whose registry did not answer (unreachable: no connection, a timeout, a 5xx;
 * not a refused login): another way to vouch for them. Returns the problems left (none: the
 * digests count as checked, `heldOnHosts`).
 */
type WhenUnreachable = (checks: readonly DigestCheck[]) => Promise<readonly string[]>;

/**
 * Checks every digest against its registry and reports every problem at once: a digest that
 * is not there, or that lacks a required platform (a single-platform image lacks all but
 * its own). Throws a CliError: refused, or unreachable when a registry did not answer.
 */
export async function checkDigests(
  run: Run,
  checks: readonly DigestCheck[],
  registries: readonly RegistryConfig[],
  next: readonly string[],
  whenUnreachable?: WhenUnreachable,
): Promise<CheckResult> {
  const problems: string[] = [];
  const unreachable: string[] = [];
  const unanswered: DigestCheck[] = [];
  const result: Record<string, CheckResult[string]> = {};
  for (const check of checks) {
    const reference = parseDigestReference(check.ref);
    const client = clientFor(run, reference.registry, registries);
    try {
      const found = await client.describe(reference.path, reference.digest);
      if (found === undefined) {
        problems.push(
          `${check.name}: ${check.ref} is not in the registry (never pushed, or deleted)`,
        );
        continue;
      }
      result[check.name] = { platforms: found.platforms };
      const missing = missingPlatforms(check.platforms ?? [], found.platforms);
      if (missing.length > 0) {
        const has = found.platforms.length === 0 ? "no platform" : found.platforms.join(", ");
        problems.push(
          `${check.name}: ${check.ref} is ${found.index ? `an index for ${has}` : `a single-platform image (${has})`}; ` +
            `it lacks ${missing.join(", ")} (required: ${check.platforms!.join(", ")})`,
        );
      }
      run.progress(
        `checked ${check.name}: ${reference.digest} is in ${reference.repository} (${found.platforms.join(", ") || "no platform"})`,
      );
    } catch (error) {
      if (error instanceof RegistryError) {
        (error.kind === "unreachable" || error.kind === "unauthorized"
          ? unreachable
          : problems
        ).push(`${check.name}: ${error.message}`);
        if (error.kind === "unreachable") {
          unanswered.push(check);
        }
        continue;
      }
      throw error;
    }
  }
  if (
    whenUnreachable !== undefined &&
    unanswered.length > 0 &&
    unanswered.length === unreachable.length
  ) {
    const left = await whenUnreachable(unanswered);
    if (left.length === 0) {
      for (const check of unanswered) {
        result[check.name] = { platforms: [], heldOnHosts: true };
      }
      unreachable.length = 0;
    } else {
      unreachable.push(...left);
    }
  }
  if (unreachable.length > 0) {
    throw new CliError(
      EXIT.unreachable,
      `could not check the registry; nothing was changed:\n${[...unreachable, ...problems].map((line) => `  ${line}`).join("\n")}`,
      [run.by],
    );
  }
  if (problems.length > 0) {
    throw new CliError(
      EXIT.refused,
      `refused; nothing was changed:\n${problems.map((line) => `  ${line}`).join("\n")}`,
      next,
    );
  }
  return result;
}
