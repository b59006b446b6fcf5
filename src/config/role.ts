/** `slipway:role`: what kind of stack this is. */
import { oneOf } from "./primitives";

/** `build` stacks (dev, local) build images; `promote` stacks (prod) only pin digests. */
const ROLES = ["build", "promote"] as const;
export type Role = (typeof ROLES)[number];

export const roleSchema = oneOf(ROLES).default("build");
