/** `slipway:role`: what kind of stack this is. */
import { z } from "zod";

/** `build` stacks (dev, local) build images; `promote` stacks (prod) only pin digests. */
const ROLES = ["build", "promote"] as const;
export type Role = (typeof ROLES)[number];

export const roleSchema = z
  .enum(ROLES, {
    error: (issue) => `${JSON.stringify(issue.input)} is not one of ${ROLES.join(", ")}`,
  })
  .default("build");
