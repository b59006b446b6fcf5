/**
 * `slipway:service`, the one-service form that came before `slipway:services`, is retired: a
 * stack that still has it is refused before any resource, with the `slipway:services` entry
 * that replaces it, written from the stack's own values.
 */
import { stringify } from "yaml";
import { z } from "zod";
import { asMap, type RawMap } from "./raw";
import { Secret } from "./secret";
import { WORKLOAD_NAME, workloadNameRule } from "./workload";

/** The schema of the retired key: any value is an error (JSON Schema: `not: {}`). */
export const retiredServiceSchema = z
  .undefined()
  .optional()
  .describe(
    "Retired: the one-service form. Write the service as one entry of `slipway:services` (`<name>:` with the same fields; `routes: [{}]` routes every request, as this form did); a stack with it is refused, with the entry to write.",
  );

/** How a secret leaf is shown in the entry to write: its value never leaves the stack file. */
const SECRET_SHOWN = { secure: "<as in slipway:service>" };

/** The value as YAML may print it: secret leaves replaced by SECRET_SHOWN. */
function shown(value: unknown): unknown {
  if (value instanceof Secret) {
    return SECRET_SHOWN;
  }
  if (Array.isArray(value)) {
    return value.map(shown);
  }
  const map = asMap(value);
  return map === undefined
    ? value
    : Object.fromEntries(Object.entries(map).map(([key, inner]) => [key, shown(inner)]));
}

/**
 * The refusal of `slipway:service` (`service`: its raw value; `raw`: the whole `slipway:`
 * config, for the image a service without one ran): what to write instead.
 */
export function retiredServiceMessage(service: unknown, raw: RawMap): string {
  const fields = { ...(asMap(service) ?? {}) };
  const edge = asMap(raw.edge)?.image;
  const candidates = Object.keys(asMap(raw.images) ?? {}).filter((name) => name !== edge);
  const known =
    typeof fields.image === "string"
      ? fields.image
      : candidates.length === 1
        ? candidates[0]
        : undefined;
  const image = known ?? `<one of ${candidates.join(", ")}>`;
  const name = typeof fields.name === "string" ? fields.name : (known ?? "<name>");
  delete fields.name;
  delete fields.image;
  // Keys that moved long ago: they were refused with this form and have no place in the new one.
  delete fields.publishedPort;
  delete fields.proxyImage;
  const entry = {
    ...(image === name ? {} : { image }),
    ...fields,
    // The old form's default route: every request. Without routes an entry is a worker.
    ...(fields.routes === undefined || fields.routes === null ? { routes: [{}] } : {}),
  };
  const snippet = stringify({ "slipway:services": { [name]: shown(entry) } }, { indent: 2 })
    .trimEnd()
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
  const where =
    raw.services === undefined
      ? "replace slipway:service with"
      : "remove slipway:service and add its entry to slipway:services";
  const rename =
    name.startsWith("<") || WORKLOAD_NAME.test(name)
      ? ""
      : ` (${JSON.stringify(name)} ${workloadNameRule("service", "web")}: new containers)`;
  return `is the retired one-service form: a service is an entry of slipway:services, and the same name keeps its containers and state on the hosts${rename}; ${where}:\n${snippet}`;
}
