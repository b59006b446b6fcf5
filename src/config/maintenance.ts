/**
 * `slipway:maintenance`: the routed services whose routes answer the maintenance page (503,
 * Retry-After) while their release keeps running. `slipway maintenance on|off` writes it and
 * switches the hosts at once; the program applies it on each `pulumi up`, so an update keeps
 * what the stack says.
 */
import { z } from "zod";
import type { RawIssue } from "./raw";
import { plain } from "./primitives";
import type { ServiceSpec } from "./services";

/** One service in maintenance. */
const maintenanceEntrySchema = z.strictObject({
  message: plain
    .min(1, "must not be empty")
    .optional()
    .describe("The message of the page (HTML-escaped); a default one when absent."),
  retryAfter: z
    .number()
    .int()
    .min(1)
    .max(86400)
    .default(60)
    .describe("Seconds clients are told to wait before trying again (`Retry-After`)."),
});

/** By service name; only routed services of the stack. */
export const maintenanceSchema = z.record(z.string(), maintenanceEntrySchema).default({});

export type MaintenanceSetting = z.output<typeof maintenanceEntrySchema>;

/**
 * Every entry must name a routed service of the stack: the others have no page to answer.
 * Checked on the assembled services (the one-service form's routes default to every request).
 */
export function maintenanceIssues(
  maintenance: Readonly<Record<string, MaintenanceSetting>>,
  services: readonly ServiceSpec[],
): RawIssue[] {
  const routed = services.filter((service) => service.routes.length > 0).map((s) => s.name);
  return Object.keys(maintenance)
    .filter((name) => !routed.includes(name))
    .map((name) => ({
      key: "maintenance",
      path: [name],
      message: services.some((service) => service.name === name)
        ? `${name} has no routes (a worker): only routed services answer a maintenance page; remove this entry`
        : `is not a routed service of this stack (routed: ${routed.join(", ") || "none"}); remove this entry or fix the name`,
    }));
}
