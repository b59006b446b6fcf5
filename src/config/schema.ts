import { z } from "zod";
import {
  DIGEST_PATTERN,
  digestProblem,
  REGISTRY_PATTERN,
  REPOSITORY_COMPONENT_PATTERN,
  TAG_PATTERN,
} from "../reference";
import { Secret } from "./secret";

/** Platforms Slipway builds for. */
export const PLATFORMS = ["linux/amd64", "linux/arm64"] as const;
export type Platform = (typeof PLATFORMS)[number];

/** `build` stacks (dev, local) build images; `promote` stacks (prod) only pin digests. */
export const ROLES = ["build", "promote"] as const;
export type Role = (typeof ROLES)[number];

/** Where BuildKit keeps its layer cache. */
export const CACHE_MODES = ["registry", "gha", "none"] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

/** How a host is reached: over SSH, or this machine itself (no SSH). */
export const TRANSPORTS = ["ssh", "local"] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** GitHub allows at most six required reviewers (users and teams together) per environment. */
export const MAX_REVIEWERS = 6;
/** GitHub's wait timer is 0 to 43,200 minutes (30 days). */
export const MAX_WAIT_TIMER_MINUTES = 43200;

/** Replaced by the config path when the message is shown. */
export const PATH_PLACEHOLDER = "{path}";

const SECRET_REQUIRED =
  `must be a secret, not plain text; set it with: ` +
  `pulumi config set --secret --path '${PATH_PLACEHOLDER}' <value>`;

/** A value that must come from a Pulumi secret. */
const secret = z.custom<Secret>((value) => value instanceof Secret, { error: SECRET_REQUIRED });

/** Marks where a secret landed in a field that would show it in plain text. */
function plainText(field: string, hint: string) {
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

const plain = plainText("this field", "store it as plain config");

export function describe(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "a list";
  }
  return typeof value === "object" ? "a map" : `${typeof value} ${JSON.stringify(value)}`;
}

const port = z
  .number({ error: expected("a port number") })
  .int("must be a whole number")
  .min(1, "must be a port between 1 and 65535")
  .max(65535, "must be a port between 1 and 65535");

const imageName = plain.regex(
  REPOSITORY_COMPONENT_PATTERN,
  "is not a valid repository name component: use lowercase letters and digits, with . _ or - between them",
);

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

const platform = z.enum(PLATFORMS, {
  error: (issue) => `${JSON.stringify(issue.input)} is not one of ${PLATFORMS.join(", ")}`,
});

const relativePath = plain.min(1, "must not be empty");

export const registrySchema = z.strictObject({
  /** Registry host and optional port: `ghcr.io`, `docker.io`, `127.0.0.1:5000`. */
  server: plain.regex(REGISTRY_PATTERN, "is not a registry host[:port], e.g. ghcr.io"),
  /** Path prefix below the server, e.g. an organisation: `acme` gives `ghcr.io/acme/<image>`. */
  namespace: plain
    .refine(
      (value) => value.split("/").every((part) => REPOSITORY_COMPONENT_PATTERN.test(part)),
      "is not a repository path: lowercase components separated by /, e.g. acme or acme/team",
    )
    .optional(),
  /** Login for pushing and pulling; omit both username and password for an open registry. */
  username: plain.optional(),
  /** Password or token for `username`; a Pulumi secret. */
  password: secret.optional(),
  /** Plain-HTTP registry (only for loopback development registries). */
  insecure: z.boolean().default(false),
});

export const buildSchema = z.strictObject({
  /** Build context, relative to the project root; must stay inside it. */
  context: relativePath,
  /** Dockerfile, relative to the project root; defaults to `<context>/Dockerfile`. */
  dockerfile: relativePath.optional(),
  /** Stage to build. */
  target: plain.optional(),
  /** Platforms of the multi-platform image. */
  platforms: z
    .array(platform)
    .min(1, "needs at least one platform")
    .default([...PLATFORMS]),
  /** Build arguments. They are stored in the image: never put a secret here. */
  args: z
    .record(
      z.string(),
      plainText(
        "a build arg",
        "build args are kept in the image history; pass it in build.secrets and read it with RUN --mount=type=secret",
      ),
    )
    .default({}),
  /** BuildKit secrets by id, mounted with `RUN --mount=type=secret,id=<id>`; Pulumi secrets. */
  secrets: z.record(z.string(), secret).default({}),
  /** Layer cache: `registry` (`<repo>:buildcache`, mode max), `gha`, or `none`. */
  cache: z
    .strictObject({
      mode: z
        .enum(CACHE_MODES, {
          error: (issue) =>
            `${JSON.stringify(issue.input)} is not a cache mode; use one of ${CACHE_MODES.join(", ")}`,
        })
        .default("registry"),
      /** Cache image for `registry` mode; defaults to `<repository>:buildcache`. */
      ref: plain.optional(),
      /** Cache scope for `gha` mode; defaults to the image name. */
      scope: plain.optional(),
    })
    .default({ mode: "registry" }),
  /** Build during `pulumi preview` too (off: previews of pull requests never build or push). */
  buildOnPreview: z.boolean().default(false),
  /** Extra static tags, besides the ones computed from git. */
  tags: z.array(plain.regex(TAG_PATTERN, "is not a valid tag")).default([]),
});

export const pinSchema = z.strictObject({
  /** `sha256:<64 hex>`, the digest a build stack produced. */
  digest: plain
    .refine((value) => DIGEST_PATTERN.test(value), {
      error: (issue) => `${digestProblem(String(issue.input))}`,
    })
    .optional(),
  /** The tag the digest was published under, kept for people reading the file. */
  tag: plain.regex(TAG_PATTERN, "is not a valid tag").optional(),
  /** Source commit the digest was built from (written by `slipway promote`). */
  revision: plain.regex(/^[0-9a-f]{7,40}$/, "is not a git commit sha").optional(),
  /** Repository to pull from, when it is not `<registry>/<namespace>/<name>`. */
  repository: plain.optional(),
  /** The stack the digest was promoted from (written by `slipway promote`; the ledger's source). */
  source: plain.regex(/^[A-Za-z0-9_.-]+$/, "is not a stack name").optional(),
  /** The ledger release a rollback restored (written by `slipway rollback`). */
  restores: z.number().int().min(1).optional(),
});

export const imageSchema = z.strictObject({
  build: buildSchema.optional(),
  pin: pinSchema.optional(),
});

export const imagesSchema = z.record(z.string(), imageSchema);

const proxySchema = z.strictObject({
  address: plain.min(1, "must not be empty"),
  port: port.default(22),
  user: plain.min(1).default("root"),
  privateKey: secret.optional(),
  privateKeyFile: plain.optional(),
  hostKey: plain.optional(),
});

export const hostSchema = z.strictObject({
  /** Short name, used in resource names and messages. */
  name: plain.regex(
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
    "is not a host name: lowercase letters, digits and inner dashes",
  ),
  /** `ssh`: over SSH (default); `local`: this machine, no SSH. */
  transport: z
    .enum(TRANSPORTS, {
      error: (issue) => `${JSON.stringify(issue.input)} is not one of ${TRANSPORTS.join(", ")}`,
    })
    .default("ssh"),
  address: plain.min(1, "must not be empty").default("127.0.0.1"),
  port: port.default(22),
  user: plain.min(1, "must not be empty").default("root"),
  /** SSH private key (PEM/OpenSSH); a Pulumi secret. */
  privateKey: secret.optional(),
  /** Path to an SSH private key file on the machine that runs `pulumi up`. */
  privateKeyFile: plain.optional(),
  /** The host's public key (`ssh-ed25519 AAAA…`); pins the host's identity. */
  hostKey: plain.optional(),
  /** A bastion to jump through. */
  proxy: proxySchema.optional(),
});

export const hostsSchema = z.array(hostSchema);

export const serviceSchema = z.strictObject({
  /** Container name prefix on the hosts; defaults to the image name. */
  name: plain
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, "is not a container name: lowercase letters, digits, _ . -")
    .optional(),
  /** Which of `slipway:images` runs; may be omitted when there is only one besides the proxy. */
  image: plain.optional(),
  /** The image of `slipway:images` that runs the proxy owning the published port. */
  proxyImage: plain.default("proxy"),
  /** Port the application listens on inside the container. */
  containerPort: port.default(8080),
  /** Port on the host that clients use; stays up across releases. */
  publishedPort: port,
  /** Path that answers 2xx when the release is healthy. */
  healthPath: plain.startsWith("/", "must start with /").default("/healthz"),
  /** How long a new release may take to become healthy before it is reverted. */
  healthTimeoutSeconds: z.number().int().min(1).max(3600).default(60),
  /** Plain environment variables. */
  env: z.record(z.string(), plain).default({}),
  /** Secret environment variables (Pulumi secrets); written to a 0600 file on the host. */
  secretEnv: z.record(z.string(), secret).default({}),
  /** How many hosts are deployed at once; a failed batch stops the rollout. */
  batchSize: z.number().int().min(1).default(1),
  /** How many previous releases each host keeps for instant rollback. */
  keepReleases: z.number().int().min(1).max(50).default(3),
});

const branchPattern = plain.refine((value) => branchPatternProblem(value) === undefined, {
  error: (issue) => `${branchPatternProblem(String(issue.input))}`,
});

/** Why GitHub would refuse a deployment branch or tag pattern, or undefined. */
export function branchPatternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) {
    return "an empty pattern matches nothing";
  }
  if (/[\s~^:\\]|\.\.|@\{|\/\/|\p{Cc}/u.test(pattern)) {
    return `${JSON.stringify(pattern)} is not a valid ref pattern (no spaces, ~ ^ : \\, '..', '@{' or '//')`;
  }
  if (pattern.startsWith("/") || pattern.endsWith("/") || pattern.endsWith(".lock")) {
    return `${JSON.stringify(pattern)} is not a valid ref pattern (must not start or end with / or end with .lock)`;
  }
  if ((pattern.match(/\[/g) ?? []).length !== (pattern.match(/\]/g) ?? []).length) {
    return `${JSON.stringify(pattern)} has unbalanced [ ]`;
  }
  return undefined;
}

const githubName = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const githubSchema = z.strictObject({
  owner: plain.min(1, "must not be empty"),
  repository: plain.min(1, "must not be empty"),
  /** Environment name, e.g. `production`. */
  environment: plain.min(1, "must not be empty"),
  /** Required reviewers by login and by team slug; at most 6 together. */
  reviewers: z
    .strictObject({
      users: z.array(plain.min(1)).default([]),
      teams: z.array(plain.min(1)).default([]),
    })
    .default({ users: [], teams: [] }),
  /** Minutes to wait before a deployment may proceed. */
  waitTimer: z
    .number({ error: expected("a number of minutes") })
    .int("must be a whole number of minutes")
    .min(0, `must be between 0 and ${MAX_WAIT_TIMER_MINUTES} minutes (30 days)`)
    .max(
      MAX_WAIT_TIMER_MINUTES,
      `must be between 0 and ${MAX_WAIT_TIMER_MINUTES} minutes (30 days)`,
    )
    .default(0),
  /** The person who triggered a deployment may not approve it. */
  preventSelfReview: z.boolean().default(false),
  /** Whether admins may bypass the rules; always false for promote stacks. */
  canAdminsBypass: z.boolean().optional(),
  /** Which refs may deploy: protected branches, or branch and tag patterns. */
  deploymentBranches: z
    .strictObject({
      protectedBranches: z.boolean().default(false),
      branches: z.array(branchPattern).default([]),
      tags: z.array(branchPattern).default([]),
    })
    .optional(),
  /** Environment secrets (values are Pulumi secrets). */
  secrets: z.record(z.string(), secret).default({}),
  /** Environment variables. */
  variables: z.record(z.string(), plain).default({}),
});

export const attestationsSchema = z
  .strictObject({
    /** SLSA provenance attestation, `max` by default. */
    provenance: z.enum(["off", "min", "max"]).default("max"),
    /** SPDX SBOM attestation (needs BuildKit's scanner image). */
    sbom: z.boolean().default(false),
    /** Sign each pushed digest with cosign. */
    sign: z.boolean().default(false),
    /** cosign private key (a Pulumi secret), needed when `sign` is on. */
    cosignKey: secret.optional(),
    /** Password of the cosign key. */
    cosignPassword: secret.optional(),
  })
  .default({ provenance: "max", sbom: false, sign: false });

export const roleSchema = z
  .enum(ROLES, {
    error: (issue) => `${JSON.stringify(issue.input)} is not one of ${ROLES.join(", ")}`,
  })
  .default("build");

/** One schema per `slipway:<key>`; a key not listed here is an error. */
export const KEY_SCHEMAS = {
  role: roleSchema,
  /** Buildx builder to build with (e.g. a `remote` builder); the default builder when absent. */
  builder: plain.min(1, "must not be empty").optional(),
  /** Source repository URL for image labels; from CI or the git remote when absent. */
  source: plain.url("must be a URL, e.g. https://github.com/acme/web").optional(),
  registry: registrySchema,
  images: imagesSchema,
  hosts: hostsSchema.default([]),
  service: serviceSchema.optional(),
  github: githubSchema.optional(),
  attestations: attestationsSchema,
} as const;

export type ConfigKey = keyof typeof KEY_SCHEMAS;

export type RegistryConfig = z.output<typeof registrySchema>;
export type BuildConfig = z.output<typeof buildSchema>;
export type PinConfig = z.output<typeof pinSchema> & { readonly digest: string };
export type HostConfig = z.output<typeof hostSchema>;
export type ProxyConfig = z.output<typeof proxySchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;
export type GithubConfig = z.output<typeof githubSchema>;
export type AttestationsConfig = z.output<typeof attestationsSchema>;

/** An image is either built by this stack or pinned to a digest another stack built. */
export type ImageConfig =
  | { readonly kind: "build"; readonly name: string; readonly build: BuildConfig }
  | { readonly kind: "pin"; readonly name: string; readonly pin: PinConfig };

/** The whole validated `slipway:` config of one stack. */
export interface SlipwayConfig {
  readonly stack: string;
  readonly role: Role;
  readonly builder?: string;
  readonly source?: string;
  readonly registry: RegistryConfig;
  readonly images: readonly ImageConfig[];
  readonly hosts: readonly HostConfig[];
  readonly service?: ServiceConfig & { readonly name: string; readonly image: string };
  readonly github?: GithubConfig;
  readonly attestations: AttestationsConfig;
}

export { envName, githubName, imageName };
