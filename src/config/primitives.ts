import { z } from "zod";
import { DIGEST_PATTERN, digestProblem } from "../reference";
import { Secret } from "./secret";

/** Value types and messages shared by every config schema (src/config/schema.ts, supply.ts). */

/**
 * The one rule for an environment variable's name, wherever a name becomes one (container
 * env and secret env, build args, GitHub secrets and variables): a letter or `_`, then
 * letters, digits and `_`.
 */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The one rule for a Docker object's name Slipway derives (container, network, volume). */
export const DOCKER_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]*$/;

/** Replaced by the config path when the message is shown. */
export const PATH_PLACEHOLDER = "{path}";

const SECRET_REQUIRED =
  `must be a secret, not plain text; set it with: ` +
  `pulumi config set --secret --path '${PATH_PLACEHOLDER}' <value>`;

/** A value that must come from a Pulumi secret. */
export const secret = z.custom<Secret>((value) => value instanceof Secret, {
  error: SECRET_REQUIRED,
});

/** Marks where a secret landed in a field that would show it in plain text. */
export function plainText(field: string, hint: string) {
  return z.string({
    error: (issue) =>
      issue.input instanceof Secret
        ? `is stored as a secret, but ${field} would show it in plain text; ${hint}`
        : expected("a string")(issue),
  });
}

/** The message for a value of the wrong type, or a missing one. */
export function expected(what: string) {
  return (issue: { readonly input?: unknown }) =>
    issue.input === undefined ? "is required" : `expected ${what}, got ${describe(issue.input)}`;
}

export const plain = plainText("this field", "store it as plain config");

/** A digest the stack file names (`sha256:<64 hex>`); a refusal says what is wrong with it. */
export const digestString = plain.refine((value) => DIGEST_PATTERN.test(value), {
  error: (issue) => `${digestProblem(String(issue.input))}`,
});

export function describe(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "a list";
  }
  return typeof value === "object" ? "a map" : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * A plain string where `pulumi config set --path …` may have stored a number or a boolean
 * (`… env.WORKERS 4` stores 4): taken as the text the user typed.
 */
export const plainScalar = z.preprocess(
  (value) =>
    (typeof value === "number" && Number.isFinite(value)) || typeof value === "boolean"
      ? String(value)
      : value,
  plain,
);

/** A plain string that passes `rule`, whose reason is the message. */
export function ruled(rule: (value: string) => string | undefined) {
  return plain.refine((value) => rule(value) === undefined, {
    error: (issue) => `${rule(String(issue.input))}`,
  });
}

export const port = z
  .number({ error: expected("a port number") })
  .int("must be a whole number")
  .min(1, "must be a port between 1 and 65535")
  .max(65535, "must be a port between 1 and 65535");

/** A closed set of strings; anything else is refused as `"x" is not one of a, b`. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) => `${JSON.stringify(issue.input)} is not one of ${values.join(", ")}`,
  });
}
