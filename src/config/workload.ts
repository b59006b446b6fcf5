/**
 * What services and accessories share: the name rule, command, env, limits, health and
 * placement fields, as config schemas, and their validated, normalised form (`WorkloadSpec`).
 */
import { z } from "zod";
import { expected, plain, plainScalar, secret } from "./primitives";
import type { Secret } from "./secret";

/**
 * Names of services, accessories and volumes: container names, network aliases, state
 * directories and DNS names on the stack's network.
 */
export const WORKLOAD_NAME = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/** The rule of WORKLOAD_NAME in words, for the refusal of a `what` name (`service`, …). */
export function workloadNameRule(what: string, example: string): string {
  return `is not a valid ${what} name: use lowercase letters, digits and -, starting with a letter and not ending with - (e.g. ${example}); rename the key`;
}

/** A map key that names a workload (the record's key schema: zod reports it as the key's problem). */
export function workloadName(what: string, example: string) {
  return plain.regex(WORKLOAD_NAME, workloadNameRule(what, example));
}

/** A command as an argument list (no shell): `["/api", "worker"]`. */
export const argv = z
  .array(plain.min(1, "must not be empty"))
  .min(1, "needs at least one argument");
/** Docker's memory sizes: `512m`, `1g`, `1.5g`. */
const MEMORY_SIZE = /^(\d+(?:\.\d+)?)([bkmg])$/i;

/** The smallest memory limit Docker accepts (`docker run --memory`: "Minimum memory limit allowed is 6MB"). */
const DOCKER_MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/** Bytes of a Docker memory size (`512m`), or undefined when it is not one. */
function memoryBytes(size: string): number | undefined {
  const match = MEMORY_SIZE.exec(size);
  if (match === null) {
    return undefined;
  }
  const power = "bkmg".indexOf(match[2]!.toLowerCase());
  return Math.floor(Number(match[1]) * 1024 ** power);
}

const memory = plain
  .regex(MEMORY_SIZE, "is not a memory size: a number and a unit b, k, m or g, e.g. 512m or 1g")
  .refine((value) => (memoryBytes(value) ?? 0) >= DOCKER_MIN_MEMORY_BYTES, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is below Docker's minimum memory limit of 6m; give at least 6m, e.g. 64m or 512m (or remove memory for no limit)`,
  });
const cpus = z.number({ error: expected("a number of CPUs") }).positive("must be more than 0");

/** Fields every workload (service or accessory) has. */
export const workloadFields = {
  hosts: z
    .array(plain.min(1, "must not be empty"))
    .min(1, "names no host")
    .optional()
    .describe("Host names it runs on; every host of the stack when absent (and no `role`)."),
  role: plain
    .min(1, "must not be empty")
    .optional()
    .describe(
      "Runs on the hosts whose `roles` list this role (one that matches no host is an error).",
    ),
  command: argv.optional().describe("Replaces the image's CMD (arguments after its ENTRYPOINT)."),
  env: z.record(z.string(), plainScalar).default({}).describe("Plain environment variables."),
  secretEnv: z
    .record(z.string(), secret)
    .default({})
    .describe("Secret environment variables (Pulumi secrets); written to a 0600 file on the host."),
  secretEnvFiles: z
    .record(z.string(), plain.min(1, "must not be empty"))
    .default({})
    .describe(
      "Secret environment variables read from files on the machine that runs `pulumi up` (`~/` expanded; one trailing newline dropped), delivered like `secretEnv`.",
    ),
  memory: memory.optional().describe("Memory limit (`docker run --memory`), e.g. `512m`."),
  cpus: cpus.optional().describe("CPU limit (`docker run --cpus`), e.g. `0.5`."),
  healthCommand: argv
    .optional()
    .describe(
      "A command run inside the container (`docker exec`, an argument list) that exits 0 when healthy: a worker's or an accessory's health. Without it: the image's `HEALTHCHECK`, else running.",
    ),
  healthTimeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(60)
    .describe("How long it may take to become healthy."),
};

/** What a container runs besides its image, as plain data: no secret value, only the names. */
export interface ContainerProcess {
  /** Arguments replacing the image's CMD; empty: the image's own. */
  readonly command: readonly string[];
  /** Plain environment variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Names of the secret environment variables; their values travel apart (stdin, a Secret). */
  readonly secretEnvNames: readonly string[];
}

/** A container's limits and health command, where they are set: services and accessories alike. */
export interface ContainerLimits {
  /** Memory limit (`512m`), when set. */
  readonly memory?: string;
  /** CPU limit, when set. */
  readonly cpus?: number;
  /** A command run in the container that exits 0 when healthy, when set. */
  readonly healthCommand?: readonly string[];
}

/** The limits and health command of `from` that are set; one that is not is left out. */
export function containerLimits(from: {
  readonly memory?: string | undefined;
  readonly cpus?: number | undefined;
  readonly healthCommand?: readonly string[] | undefined;
}): ContainerLimits {
  return {
    ...(from.memory === undefined ? {} : { memory: from.memory }),
    ...(from.cpus === undefined ? {} : { cpus: from.cpus }),
    ...(from.healthCommand === undefined ? {} : { healthCommand: from.healthCommand }),
  };
}

/** Fields a service and an accessory share, validated and placed on hosts. */
export interface WorkloadSpec extends ContainerLimits {
  readonly name: string;
  /** A name of `slipway:images`, or (accessories) a pinned `repository@sha256:…`. */
  readonly image: string;
  /** Host names it runs on, in the order of `slipway:hosts`. */
  readonly hosts: readonly string[];
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly secretEnv: Readonly<Record<string, Secret>>;
  /** Secret env vars whose values are in files on the deploying machine, by name. */
  readonly secretEnvFiles: Readonly<Record<string, string>>;
  readonly healthTimeoutSeconds: number;
}

/** Host names a workload runs on: its `hosts`, the hosts with its `role`, or every host. */
export function placement(
  entry: { readonly hosts?: readonly string[]; readonly role?: string },
  hosts: readonly { readonly name: string; readonly roles: readonly string[] }[],
): string[] {
  if (entry.hosts !== undefined) {
    return hosts.filter((host) => entry.hosts!.includes(host.name)).map((host) => host.name);
  }
  if (entry.role !== undefined) {
    return hosts.filter((host) => host.roles.includes(entry.role!)).map((host) => host.name);
  }
  return hosts.map((host) => host.name);
}

/** The normalised fields every workload shares. */
export function workload(
  name: string,
  image: string,
  entry: z.output<z.ZodObject<typeof workloadFields>>,
  hosts: readonly { readonly name: string; readonly roles: readonly string[] }[],
): WorkloadSpec {
  return {
    name,
    image,
    hosts: placement(entry, hosts),
    command: entry.command ?? [],
    env: entry.env,
    secretEnv: entry.secretEnv,
    secretEnvFiles: entry.secretEnvFiles,
    ...containerLimits(entry),
    healthTimeoutSeconds: entry.healthTimeoutSeconds,
  };
}
