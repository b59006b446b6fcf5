import * as semver from "semver";
import { z } from "zod";
import { crossChecks } from "./checks";
import type { Role } from "./role";
import { fileChecks, type ImageConfig } from "./images";
import { nearest } from "./did-you-mean";
import { ConfigError, formatPath, type ConfigIssue } from "./errors";
import { keyFileChecks, ownerChecks, secretFileChecks } from "./machine-checks";
import { kubeconfigFileChecks, kubernetesChecks, kubernetesSchema } from "./kubernetes";
import { maintenanceIssues } from "./maintenance";
import { asMap, type RawIssue } from "./raw";
import { promotionChecks, type PromotionConfig } from "./promotion";
import { retiredServiceMessage } from "./retired-service";
import { scanChecks, supplyFileChecks } from "./supply";
import {
  describe,
  expected,
  KEY_SCHEMAS,
  PATH_PLACEHOLDER,
  type ConfigKey,
  type SlipwayConfig,
} from "./schema";
import { accessorySpec, type AccessorySpec } from "./accessories";
import { serviceSpec, stackNetwork, type ServiceSpec } from "./services";

/** The config namespace of every Slipway key. */
export const NAMESPACE = "slipway";

const KEYS = Object.keys(KEY_SCHEMAS) as ConfigKey[];

export interface ValidateOptions {
  /** Project root; when given, build contexts and Dockerfiles are checked against it. */
  readonly root?: string;
  /** Home folder; when given, each `privateKeyFile` (`~/` expanded against it) must be a readable file. */
  readonly home?: string;
  /**
   * The process environment the GitHub provider will see; when given, `GITHUB_OWNER` and
   * `GITHUB_ORGANIZATION` must not name another account than `slipway:github.owner`.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Keys set outside the `slipway` namespace: each `github:` key is refused, naming the Slipway
   * key to use, and so is a near-miss namespace (`slipwya:edge`, `slipway.edge:image`).
   */
  readonly foreignKeys?: readonly string[];
  /** The installed Slipway's version; when given, `slipway:version` must admit it. */
  readonly installedVersion?: string;
  /** The time expiry dates are checked against (`slipway:scan.allow[].expires`); now when absent. */
  readonly now?: Date;
}

/**
 * The refusal of a project whose `slipway:version` (a range, in Pulumi.yaml) does not admit the
 * installed package; undefined when it does, or when either is unknown.
 */
function versionIssue(named: unknown, installed: string): ConfigIssue | undefined {
  if (
    typeof named !== "string" ||
    semver.validRange(named) === null ||
    semver.valid(installed) === null ||
    semver.satisfies(installed, named, { includePrerelease: true })
  ) {
    return undefined;
  }
  return {
    path: `${NAMESPACE}:version`,
    message:
      `this project names Slipway ${named} but the installed package is ${installed}; ` +
      `install the named version (npm install slipway@${named}), or upgrade the project: ` +
      `set slipway:version: ^${installed} in Pulumi.yaml and apply the upgrade notes`,
  };
}

/** The Slipway setting that takes the place of a `github:` provider key. */
const GITHUB_PROVIDER_KEYS: Readonly<Record<string, string>> = {
  "github:baseUrl": "slipway:github.baseUrl",
  "github:token": "slipway:github.token",
  "github:owner": "slipway:github.owner",
  "github:organization": "slipway:github.owner",
};

/** Where the reference of every key is. */
const REFERENCE = "docs/configuration.md";

/** The fields of a map schema that a user may set (a `moved` field is an error that says where it went). */
function knownKeys(inst: unknown): string[] {
  if (!(inst instanceof z.ZodObject)) {
    return [];
  }
  return Object.entries(inst.shape as Record<string, z.ZodType>)
    .filter(
      ([, field]) => !(field instanceof z.ZodOptional && field.unwrap() instanceof z.ZodUndefined),
    )
    .map(([name]) => name);
}

/** The message for a key the schema does not have: the near miss, else the keys it has. */
function unknownKey(key: string, known: readonly string[], prefix = ""): string {
  const near = nearest(key, known);
  return near !== undefined
    ? `unknown key; did you mean ${prefix}${near}?`
    : `unknown key; the keys here are ${known.map((name) => `${prefix}${name}`).join(", ")} (${REFERENCE})`;
}

const TOP_PREFIX = `${NAMESPACE}:`;
/** `slipway.edge`, `slipway-edge`, `slipway_edge`: the namespace written with another separator. */
const MISSEPARATED = new RegExp(`^${NAMESPACE}[._-](.+)$`, "i");

/** A top-level `slipway:<key>` that Slipway does not have. */
function unknownTopKey(key: string, value: unknown): ConfigIssue {
  // `slipway:slipway.edge` (no colon after slipway), or `pulumi config set --path slipway.edge.image`,
  // which stores {edge: {image}} under slipway:slipway.
  const rest =
    MISSEPARATED.exec(key)?.[1] ??
    (key.toLowerCase() === NAMESPACE ? Object.keys(asMap(value) ?? {})[0] : undefined);
  const first = rest?.split(/[.[]/)[0];
  const near = first === undefined ? undefined : nearest(first, KEYS);
  if (rest !== undefined && near !== undefined) {
    const path = key.toLowerCase() === NAMESPACE ? near : near + rest.slice(first!.length);
    return toIssue(
      key,
      [],
      `unknown key: the namespace and the key are separated by a colon; did you mean ${TOP_PREFIX}${path}?`,
    );
  }
  return toIssue(key, [], unknownKey(key, KEYS, TOP_PREFIX));
}

/** A key in another namespace that is a misspelt `slipway` one (`slipwya:edge`, `Slipway:edge`, `slipway.edge:image`). */
function nearNamespaceIssue(fullKey: string): ConfigIssue | undefined {
  const colon = fullKey.indexOf(":");
  const namespace = fullKey.slice(0, colon);
  const name = fullKey.slice(colon + 1);
  const inner = MISSEPARATED.exec(namespace)?.[1];
  if (colon < 0 || (inner === undefined && nearest(namespace, [NAMESPACE]) === undefined)) {
    return undefined;
  }
  const meant = inner === undefined ? name : `${inner}.${name}`;
  return {
    path: fullKey,
    message: `unknown namespace ${JSON.stringify(namespace)}: Slipway reads only ${TOP_PREFIX}<key>; did you mean ${TOP_PREFIX}${meant}?`,
  };
}

function providerKeyIssue(key: string): ConfigIssue {
  const instead = GITHUB_PROVIDER_KEYS[key];
  return {
    path: key,
    message:
      instead === undefined
        ? "is not read: Slipway's GitHub environment configures its own provider from slipway:github; remove it"
        : `is not read: Slipway's GitHub environment configures its own provider; set ${instead} instead` +
          (key === "github:token"
            ? ` (pulumi config set --secret --path '${instead}' <token>)`
            : ""),
  };
}

/** Generic messages for issues that no field words itself. */
function message(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return expected(
        issue.expected === "object" || issue.expected === "record" ? "a map" : issue.expected,
      )(issue);
    case "unrecognized_keys":
      // One line per key, in the order of issue.keys: validateConfig makes an issue of each.
      return issue.keys.map((key) => unknownKey(key, knownKeys(issue.inst))).join("\n");
    case "too_big":
      return `must be at most ${String(issue.maximum)}`;
    case "too_small":
      return issue.origin === "array"
        ? `needs at least ${String(issue.minimum)} item${issue.minimum === 1 ? "" : "s"}`
        : `must be at least ${String(issue.minimum)}`;
    case "invalid_key":
      // A map key that breaks its rule (a service named Web_1): the key schema's own words.
      return issue.issues.map((inner) => inner.message).join("; ");
    case "invalid_value":
      return `${describe(issue.input)} is not one of ${issue.values.map((v) => String(v)).join(", ")}`;
    default:
      return undefined;
  }
}

function toIssue(key: string, where: readonly PropertyKey[], text: string): ConfigIssue {
  const shown = formatPath(`${NAMESPACE}:${key}`, where);
  return { path: shown, message: text.split(PATH_PLACEHOLDER).join(shown) };
}

/**
 * Validates the raw `slipway:*` values of one stack (keys without the namespace) and returns
 * the typed config, or throws a ConfigError listing every problem with its path.
 */
export function validateConfig(
  stack: string,
  raw: Record<string, unknown>,
  options: ValidateOptions = {},
): SlipwayConfig {
  const issues: ConfigIssue[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!(KEYS as string[]).includes(key)) {
      issues.push(unknownTopKey(key, value));
    }
  }

  for (const key of options.foreignKeys ?? []) {
    const issue = key.startsWith("github:") ? providerKeyIssue(key) : nearNamespaceIssue(key);
    if (issue !== undefined) {
      issues.push(issue);
    }
  }
  const mismatch =
    options.installedVersion === undefined
      ? undefined
      : versionIssue(raw.version, options.installedVersion);
  if (mismatch !== undefined) {
    issues.push(mismatch);
  }

  const parsed: Partial<Record<ConfigKey, unknown>> = {};
  for (const key of KEYS) {
    const value = raw[key];
    if (value === undefined && (key === "registry" || key === "images")) {
      issues.push(toIssue(key, [], `is required; see ${REFERENCE}`));
      continue;
    }
    if (key === "service" && value !== undefined) {
      issues.push(toIssue(key, [], retiredServiceMessage(value, raw)));
      continue;
    }
    const result = KEY_SCHEMAS[key].safeParse(value, { reportInput: true, error: message });
    if (result.success) {
      parsed[key] = result.data;
    } else {
      for (const issue of result.error.issues) {
        if (issue.code === "unrecognized_keys") {
          const lines = issue.message.split("\n");
          issue.keys.forEach((name, index) =>
            issues.push(toIssue(key, [...issue.path, name], lines[index]!)),
          );
        } else {
          issues.push(toIssue(key, issue.path, issue.message));
        }
      }
    }
  }

  const role: Role = parsed.role === "promote" ? "promote" : "build";
  const extra: RawIssue[] = [
    ...crossChecks(raw, role),
    ...(options.root ? fileChecks(raw, options.root) : []),
    ...(options.home === undefined ? [] : keyFileChecks(raw, options.home)),
    ...(options.home === undefined ? [] : secretFileChecks(raw, options.home)),
    ...(options.env === undefined ? [] : ownerChecks(raw, options.env)),
  ];
  const addExtra = (key: string, path: readonly PropertyKey[], text: string) =>
    extra.push({ key, path, message: text });
  kubernetesChecks(raw, addExtra);
  scanChecks(
    raw.scan as Record<string, unknown> | undefined,
    (options.now ?? new Date()).toISOString().slice(0, 10),
    addExtra,
  );
  promotionChecks(raw, stack, addExtra);
  if (options.home !== undefined) {
    kubeconfigFileChecks(raw, options.home, addExtra);
  }
  if (options.root) {
    supplyFileChecks(raw, addExtra);
  }
  for (const issue of extra) {
    issues.push(toIssue(issue.key, issue.path, issue.message));
  }

  const unique = issues.filter(
    (issue, index) =>
      issues.findIndex((other) => other.path === issue.path && other.message === issue.message) ===
      index,
  );
  if (unique.length > 0) {
    throw new ConfigError(unique, stack);
  }
  const config = assemble(
    stack,
    role,
    parsed as { [K in ConfigKey]: z.output<(typeof KEY_SCHEMAS)[K]> },
  );
  const maintenance = maintenanceIssues(config.maintenance, config.services);
  if (maintenance.length > 0) {
    throw new ConfigError(
      maintenance.map((issue) => toIssue(issue.key, issue.path, issue.message)),
      stack,
    );
  }
  return config;
}

/**
 * Only `slipway:promotion` of a stack, checked as validateConfig checks it: what `slipway
 * promote` reads from its target before the first promotion, when the target pins no image yet
 * and so is not a whole config. Undefined when the stack has none.
 */
export function validatePromotion(
  stack: string,
  raw: Record<string, unknown>,
): PromotionConfig | undefined {
  const issues: ConfigIssue[] = [];
  const result = KEY_SCHEMAS.promotion.safeParse(raw.promotion, {
    reportInput: true,
    error: message,
  });
  if (!result.success) {
    for (const issue of result.error.issues) {
      issues.push(toIssue("promotion", issue.path, issue.message));
    }
  }
  promotionChecks(raw, stack, (key, path, text) => issues.push(toIssue(key, path, text)));
  if (issues.length > 0) {
    throw new ConfigError(issues, stack);
  }
  return result.data;
}

/** The default namespace of a stack: `slipway-<stack>`, cut to a DNS label. */
function kubeNamespaceOf(stack: string): string {
  const label = `slipway-${stack.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}`.slice(0, 63);
  return label.replace(/-+$/, "");
}

function assemble(
  stack: string,
  role: Role,
  parsed: { [K in ConfigKey]: z.output<(typeof KEY_SCHEMAS)[K]> },
): SlipwayConfig {
  const images: ImageConfig[] = Object.entries(parsed.images).map(([name, image]) =>
    image.build !== undefined
      ? {
          kind: "build",
          name,
          build: image.build,
          ...(image.pin?.pinnedAt === undefined
            ? {}
            : {
                rollbackPin: {
                  ...image.pin,
                  digest: image.pin.digest!,
                  pinnedAt: image.pin.pinnedAt,
                },
              }),
        }
      : { kind: "pin", name, pin: { ...image.pin!, digest: image.pin!.digest! } },
  );
  const services: ServiceSpec[] = Object.entries(parsed.services ?? {}).map(([name, entry]) =>
    serviceSpec(name, entry.image ?? name, entry, parsed.hosts),
  );
  const accessories: AccessorySpec[] = Object.entries(parsed.accessories).map(([name, entry]) =>
    accessorySpec(name, entry, parsed.hosts),
  );
  return {
    stack,
    role,
    ...(parsed.version === undefined ? {} : { version: parsed.version }),
    ...(parsed.builder === undefined ? {} : { builder: parsed.builder }),
    ...(parsed.source === undefined ? {} : { source: parsed.source }),
    registry: parsed.registry,
    images,
    target: parsed.target,
    hosts: parsed.hosts,
    services,
    accessories,
    network: parsed.network ?? stackNetwork(stack),
    ...(parsed.target !== "kubernetes"
      ? {}
      : {
          kubernetes: {
            ...(parsed.kubernetes ?? kubernetesSchema.parse({})),
            namespace: parsed.kubernetes?.namespace ?? kubeNamespaceOf(stack),
          },
        }),
    edge: parsed.edge,
    maintenance: parsed.maintenance,
    ...(parsed.github === undefined ? {} : { github: parsed.github }),
    attestations: parsed.attestations,
    ...(parsed.scan === undefined ? {} : { scan: parsed.scan }),
    ...(parsed.verify === undefined ? {} : { verify: parsed.verify }),
    ...(parsed.promotion === undefined ? {} : { promotion: parsed.promotion }),
  };
}
