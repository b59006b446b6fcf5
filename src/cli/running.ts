import { parseDigestReference } from "../reference";
import type { Run } from "./context";

/** What the hosts of a stack run: the service image's digest, by host name. */
export interface Running {
  /** The image the hosts run (`slipway:service.image`). */
  readonly image: string;
  readonly hosts: Readonly<Record<string, string>>;
}

/**
 * What each host of `stack` runs, or why that is not known. Today this reads the stack's
 * `deployed` output (the digest each host's deploy last succeeded with); the host's own
 * release record (`slipway status`) can take its place here without touching the callers.
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
  const service = outputs.service as { image?: unknown } | null | undefined;
  const deployed = outputs.deployed as Record<string, unknown> | null | undefined;
  if (typeof service?.image !== "string" || typeof deployed !== "object" || deployed === null) {
    return { unknown: `${stack} deploys no service to hosts` };
  }
  const hosts: Record<string, string> = {};
  for (const [host, ref] of Object.entries(deployed)) {
    if (typeof ref === "string") {
      try {
        hosts[host] = parseDigestReference(ref).digest;
      } catch {
        // Not a digest reference: that host's deploy never succeeded with one.
      }
    }
  }
  return { image: service.image, hosts };
}
