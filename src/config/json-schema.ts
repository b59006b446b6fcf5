/**
 * The JSON Schema of a `Pulumi.<stack>.yaml` file, made from the zod schemas that validate
 * each `slipway:<key>` (their `.describe()` texts included): what editors complete and check
 * with (yaml-language-server), committed as `schema/slipway.schema.json`.
 */
import { z } from "zod";
import { plainScalar } from "./primitives";
import { KEY_SCHEMAS, type ConfigKey } from "./schema";
import { NAMESPACE } from "./validate";

/** A JSON Schema, as plain data. */
export type JsonSchema = { [key: string]: unknown };

/** Where the schema is committed, relative to the package root. */
export const SCHEMA_PATH = "schema/slipway.schema.json";

/** What a `secure:` value looks like in a stack file. */
const SECURE: JsonSchema = {
  type: "object",
  description:
    "A Pulumi secret: `pulumi config set --secret --path '<path>' <value>` writes it as `secure: v1:…`; a plain value here is an error.",
  properties: { secure: { type: "string" } },
  required: ["secure"],
  additionalProperties: false,
};

/** Replaces what JSON Schema has no word for: secrets and keys that moved elsewhere. */
function unrepresentable(ctx: { zodSchema: z.core.$ZodType; message: string }): JsonSchema {
  switch (ctx.zodSchema._zod.def.type) {
    case "custom":
      return { ...SECURE };
    case "undefined":
      // A moved key: its description says where it went; any value is an error.
      return { not: {} };
    default:
      throw new Error(`no JSON Schema for a ${ctx.zodSchema._zod.def.type}: ${ctx.message}`);
  }
}

/** Drops what zod adds that says nothing to a reader (`$schema`, the safe-integer bounds). */
function tidy(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(tidy);
  }
  if (typeof value !== "object" || value === null) {
    return value;
  }
  const out: JsonSchema = {};
  for (const [key, inner] of Object.entries(value)) {
    if (
      key === "$schema" ||
      (key === "maximum" && inner === Number.MAX_SAFE_INTEGER) ||
      (key === "minimum" && inner === Number.MIN_SAFE_INTEGER)
    ) {
      continue;
    }
    out[key] = tidy(inner);
  }
  return out;
}

/** The JSON Schema of one `slipway:<key>`, as a stack file writes it (defaults optional). */
export function keySchema(key: ConfigKey): JsonSchema {
  const json = z.toJSONSchema(KEY_SCHEMAS[key], {
    io: "input",
    target: "draft-07",
    unrepresentable,
    override: (ctx) => {
      const def = ctx.zodSchema._zod.def;
      // plainScalar: `pulumi config set --path … 4` stores a number, taken as its text.
      if (ctx.zodSchema === plainScalar && ctx.jsonSchema.type === "string") {
        ctx.jsonSchema.type = ["string", "number", "boolean"];
      }
      // zod leaves out the default of a map whose values are preprocessed (env, variables).
      if (def.type === "default" && !("default" in ctx.jsonSchema)) {
        ctx.jsonSchema.default = def.defaultValue;
      }
    },
  });
  return tidy(json) as JsonSchema;
}

/** Every key of the `slipway` namespace, in declared order. */
export const CONFIG_KEYS = Object.keys(KEY_SCHEMAS) as ConfigKey[];

/** The whole `Pulumi.<stack>.yaml` file: Pulumi's own top-level keys and `config:`. */
export function stackFileSchema(): JsonSchema {
  const properties: JsonSchema = {};
  for (const key of CONFIG_KEYS) {
    properties[`${NAMESPACE}:${key}`] = keySchema(key);
  }
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "Pulumi.<stack>.yaml of a Slipway project",
    description:
      "Generated from Slipway's config schemas (src/config/) by `npm run schema`; do not edit. Reference: docs/configuration.md.",
    type: "object",
    properties: {
      config: {
        type: "object",
        description:
          "Stack configuration. Slipway reads the `slipway:` keys; other namespaces belong to other packages.",
        properties,
        // An unknown slipway: key, or the namespace written with another separator, is an error.
        propertyNames: {
          anyOf: [{ enum: Object.keys(properties) }, { not: { pattern: `^${NAMESPACE}[:._-]` } }],
        },
      },
      secretsprovider: {
        type: "string",
        description: "Pulumi's secrets provider of the stack (`passphrase`, a KMS URL, …).",
      },
      encryptedkey: { type: "string", description: "Pulumi's encrypted data key." },
      encryptionsalt: { type: "string", description: "Pulumi's passphrase salt." },
      environment: { description: "Pulumi ESC environments the stack imports." },
    },
  };
}

/** The committed file's text. */
export function schemaFileText(): string {
  return `${JSON.stringify(stackFileSchema(), null, 2)}\n`;
}
