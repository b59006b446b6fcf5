import { parseDigestReference } from "../reference";
import type { Run } from "./context";

/** What the hosts of a stack run: each service's image digest, by image, then host name. */
export interface Running {
  readonly images: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * What each host of `stack` runs, or why that is not known. This reads the stack's
 * `services` and `deployed` outputs (the digest each service's deploy last succeeded with on
 * each host); `slipway status` reads the hosts themselves.
 */
export async function runningOnHosts(
  run: Run,
  stack: string,
): Promise<Running | { readonly unknown: string }> {
  let outputs: Record<string, unknown>;
  try {
    outputs = await run.deps.driver.outputs(stack);
  } catch (error) {
    return { unknown: error instanceof Error ? error.message : String(error) };
  }
  const services = outputs.services as Record<string, { image?: unknown }> | null | undefined;
  const deployed = outputs.deployed as Record<string, unknown> | null | undefined;
  if (
    typeof services !== "object" ||
    services === null ||
    Object.keys(services).length === 0 ||
    typeof deployed !== "object" ||
    deployed === null
  ) {
    return { unknown: `${stack} deploys no service to hosts` };
  }
  const images: Record<string, Record<string, string>> = {};
  for (const [name, service] of Object.entries(services)) {
    const byHost = deployed[name];
    if (typeof service?.image !== "string" || typeof byHost !== "object" || byHost === null) {
      continue;
    }
    for (const [host, ref] of Object.entries(byHost as Record<string, unknown>)) {
      if (typeof ref === "string") {
        try {
          (images[service.image] ??= {})[host] = parseDigestReference(ref).digest;
        } catch {
          // Not a digest reference: that host's deploy never succeeded with one.
        }
      }
    }
  }
  return { images };
}
