import { z } from "zod";
import { plain } from "./primitives";
import { asMap, has, type Add, type RawMap } from "./raw";

/** The longest soak a stack may ask for: 30 days. */
const MAX_SOAK_MINUTES = 43_200;

/**
 * `slipway:promotion`: where a promote stack's digests come from, and how long each must have
 * run healthy there first (`slipway promote` refuses a younger one; `slipway promote --auto`
 * waits for it).
 */
export const promotionSchema = z.strictObject({
  from: plain
    .regex(/^[A-Za-z0-9_.-]+$/, "is not a stack name (letters, digits, _ . -)")
    .describe("The stack whose digests this one promotes, e.g. `dev`. Required."),
  minSoakMinutes: z
    .number({ error: "expected a number of minutes" })
    .int("must be a whole number of minutes")
    .min(0, "must be 0 or more")
    .max(MAX_SOAK_MINUTES, `must be at most ${MAX_SOAK_MINUTES} (30 days)`)
    .default(0)
    .describe(
      "Minutes a digest must have run on `from` (what it runs now, since the first release of that run in its ledger) before it is promoted; 0 to 43200.",
    ),
});

export type PromotionConfig = z.output<typeof promotionSchema>;

/** Cross-field rules: only a promote stack is promoted into, and never from itself. */
export function promotionChecks(raw: RawMap, stack: string, add: Add): void {
  if (!has(raw, "promotion")) {
    return;
  }
  if (raw.role !== "promote") {
    add(
      "promotion",
      [],
      "only a stack with slipway:role promote is promoted into; set slipway:role: promote, or remove slipway:promotion",
    );
  }
  if (asMap(raw.promotion)?.from === stack) {
    add(
      "promotion",
      ["from"],
      `is this stack (${stack}); name the stack its digests come from, e.g. dev`,
    );
  }
}
