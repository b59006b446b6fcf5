import { z } from "zod";
import {
  DIGEST_PATTERN,
  digestProblem,
  REGISTRY_PATTERN,
  REPOSITORY_COMPONENT_PATTERN,
  TAG_PATTERN,
} from "../reference";
import { environmentNameProblem, sshPublicKeyProblem } from "./rules";
import { repositoriesSchema } from "./registry-repositories";
import { expected, plain, plainScalar, plainText, port, ruled, secret } from "./primitives";
import {
  accessoriesSchema,
  serviceSchema,
  servicesSchema,
  type AccessorySpec,
  type ServiceSpec,
} from "./services";
import { scanSchema, verifySchema, type ScanConfig, type VerifyConfig } from "./supply";
import { kubernetesSchema, targetSchema, type KubernetesConfig, type Target } from "./kubernetes";

/** Platforms Slipway builds for. */
export const PLATFORMS = ["linux/amd64", "linux/arm64"] as const;
export type Platform = (typeof PLATFORMS)[number];

/** `build` stacks (dev, local) build images; `promote` stacks (prod) only pin digests. */
export const ROLES = ["build", "promote"] as const;
export type Role = (typeof ROLES)[number];

/** Where BuildKit keeps its layer cache. */
export const CACHE_MODES = ["registry", "gha", "none"] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

/**
 * What an image build takes from git: labels and time of the commit being built (`commit`),
 * of the last commit that changed its context (`context`: an unchanged context keeps its
 * digest across commits), or nothing (`none`).
 */
export const STAMPS = ["commit", "context", "none"] as const;
export type Stamp = (typeof STAMPS)[number];

/** How a host is reached: over SSH, or this machine itself (no SSH). */
export const TRANSPORTS = ["ssh", "local"] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** GitHub allows at most six required reviewers (users and teams together) per environment. */
export const MAX_REVIEWERS = 6;
/** GitHub's wait timer is 0 to 43,200 minutes (30 days). */
export const MAX_WAIT_TIMER_MINUTES = 43200;

export { describe, expected, PATH_PLACEHOLDER } from "./primitives";

const hostKey = ruled(sshPublicKeyProblem);

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
  /** Per image: the repository's settings and retention (see registry-repositories.ts). */
  repositories: repositoriesSchema,
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
  /**
   * `commit`: labels and timestamps from the commit (revision, created). `context`: from the
   * last commit that changed the build context, so in a repository of several images a
   * commit rebuilds only the images whose context it changed (the others keep their digest,
   * and their services keep running). `none`: none of them (SOURCE_DATE_EPOCH 0), so the
   * digest depends only on the context, e.g. the edge proxy.
   */
  stamp: z
    .enum(STAMPS, {
      error: (issue) => `${JSON.stringify(issue.input)} is not one of ${STAMPS.join(", ")}`,
    })
    .default("commit"),
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
  /**
   * `hosts`: written by `slipway rollback` when the registry was unreachable and every host
   * that runs the image still had this digest; the stack's repository check and signature
   * verification then do not contact the registry for it. Any later pin write drops it.
   */
  checkedOn: z
    .literal("hosts", { error: 'can only be "hosts" (written by slipway rollback)' })
    .optional(),
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
  hostKey: hostKey.optional(),
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
  hostKey: hostKey.optional(),
  /** A bastion to jump through. */
  proxy: proxySchema.optional(),
  /** Roles the host has: services and accessories with `role: <role>` run on it. */
  roles: z
    .array(
      plain.regex(
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
        "is not a role: lowercase letters, digits and inner dashes",
      ),
    )
    .default([]),
});

export const hostsSchema = z.array(hostSchema);

/** Who issues the edge's certificates: ACME (public names; Caddy's own CA for local ones), or Caddy's internal CA for every name. */
export const TLS_ISSUERS = ["acme", "internal"] as const;
export type TlsIssuer = (typeof TLS_ISSUERS)[number];

/** Default name of a host's edge proxy: its container, network and state directory. */
export const DEFAULT_EDGE_NAME = "slipway-edge";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * The edge proxy of every host of the stack. A stack that sets `image` manages it (starts,
 * upgrades it); a stack without it routes through the edge of that name that another stack
 * manages on the same hosts.
 */
export const edgeSchema = z.strictObject({
  /** Container, network and state directory name of the edge on each host. */
  name: plain
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, "is not a container name: lowercase letters, digits, _ . -")
    .default(DEFAULT_EDGE_NAME),
  /** An image of `slipway:images` (e.g. `edge`), or a pinned `repository@sha256:…` (e.g. the official caddy image). */
  image: plain.min(1, "must not be empty").optional(),
  /** Host port for HTTP. */
  httpPort: port.default(80),
  /** Host port for HTTPS. */
  httpsPort: port.default(443),
  /** Address the ports are published on: `0.0.0.0` (all interfaces) or `127.0.0.1`. */
  bind: plain.regex(IPV4, "is not an IPv4 address, e.g. 0.0.0.0 or 127.0.0.1").default("0.0.0.0"),
  /** Certificate issuer for TLS routes. */
  tls: z
    .enum(TLS_ISSUERS, {
      error: (issue) => `${JSON.stringify(issue.input)} is not one of ${TLS_ISSUERS.join(", ")}`,
    })
    .default("acme"),
  /** ACME account e-mail (expiry notices); optional. */
  email: plain.regex(/^[^\s@]+@[^\s@]+$/, "is not an e-mail address").optional(),
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

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

export const githubSchema = z.strictObject({
  owner: plain.min(1, "must not be empty"),
  repository: plain.min(1, "must not be empty"),
  /** Environment name, e.g. `production`. */
  environment: ruled(environmentNameProblem),
  /**
   * GitHub API base URL: GitHub Enterprise Server's `https://<host>/` (the provider then calls
   * `<host>/api/v3/`). GITHUB_BASE_URL, else GitHub's own API, when absent.
   */
  baseUrl: plain
    .refine(isHttpUrl, "must be an http(s) URL, e.g. https://github.example.com/")
    .optional(),
  /** Token for the GitHub API (a Pulumi secret); GITHUB_TOKEN when absent. */
  token: secret.optional(),
  /** Required reviewers by login and by team slug; at most 6 together. */
  reviewers: z
    .strictObject({
      users: z
        .array(plain.refine((value) => value.trim() !== "", "is empty; give a GitHub login"))
        .default([]),
      teams: z
        .array(
          plain.refine(
            (value) => value.trim() !== "",
            "is empty; give the team's slug (the last part of its URL), e.g. platform",
          ),
        )
        .default([]),
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
  variables: z.record(z.string(), plainScalar).default({}),
});

export const attestationsSchema = z
  .strictObject({
    /** SLSA provenance attestation, `max` by default. */
    provenance: z.enum(["off", "min", "max"]).default("max"),
    /** SPDX SBOM per platform of each built digest, made with syft (src/supply/). */
    sbom: z.boolean().default(false),
    /** Sign each pushed digest with cosign. */
    sign: z.boolean().default(false),
    /** cosign private key (a Pulumi secret), needed when `sign` is on. */
    cosignKey: secret.optional(),
    /** Or: path of the cosign private key on the machine that runs `pulumi up`; `~/` expanded. */
    cosignKeyFile: plain.min(1, "must not be empty").optional(),
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
  /** Where the service runs: `ssh` (slipway:hosts) or `kubernetes` (slipway:kubernetes). */
  target: targetSchema,
  hosts: hostsSchema.default([]),
  service: serviceSchema.optional(),
  services: servicesSchema.optional(),
  accessories: accessoriesSchema.default({}),
  /**
   * The stack's Docker network on its hosts (`slipway-<stack>` by default): services and
   * accessories reach each other by name on it, and accessory containers and volumes are
   * named after it. Set it when two projects with the same stack name share a host.
   */
  network: plain
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, "is not a network name: lowercase letters, digits, _ . -")
    .optional(),
  kubernetes: kubernetesSchema.optional(),
  edge: edgeSchema.default({
    name: DEFAULT_EDGE_NAME,
    httpPort: 80,
    httpsPort: 443,
    bind: "0.0.0.0",
    tls: "acme",
  }),
  github: githubSchema.optional(),
  attestations: attestationsSchema,
  scan: scanSchema,
  verify: verifySchema,
} as const;

export type ConfigKey = keyof typeof KEY_SCHEMAS;

export type RegistryConfig = z.output<typeof registrySchema>;
export type BuildConfig = z.output<typeof buildSchema>;
export type PinConfig = z.output<typeof pinSchema> & { readonly digest: string };
/** Where a pin's digest was checked instead of the registry (`pin.checkedOn`). */
export type CheckedOn = NonNullable<PinConfig["checkedOn"]>;
export type HostConfig = z.output<typeof hostSchema>;
export type ProxyConfig = z.output<typeof proxySchema>;
export type {
  AccessorySpec,
  RouteConfig,
  ServiceConfig,
  ServiceSpec,
  WorkloadSpec,
} from "./services";
export type EdgeConfig = z.output<typeof edgeSchema>;
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
  /** Where the service runs. */
  readonly target: Target;
  readonly hosts: readonly HostConfig[];
  /**
   * What runs on the hosts, in rollout order: `slipway:services` in declared order, or the
   * one `slipway:service`. A service without routes is a worker.
   */
  readonly services: readonly ServiceSpec[];
  /** Stateful containers beside the services; they start before any service. */
  readonly accessories: readonly AccessorySpec[];
  /** The stack's Docker network on its hosts (`slipway:network`, else `slipway-<stack>`). */
  readonly network: string;
  /** The cluster of a `kubernetes` target (defaults filled in; namespace `slipway-<stack>`). */
  readonly kubernetes?: KubernetesConfig & { readonly namespace: string };
  /** The hosts' edge proxy; `image` set when this stack manages it. */
  readonly edge: EdgeConfig;
  readonly github?: GithubConfig;
  readonly attestations: AttestationsConfig;
  /** The vulnerability gate of built digests; absent: no scan. */
  readonly scan?: ScanConfig;
  /** What deployed digests must be signed with and carry; absent: no verification. */
  readonly verify?: VerifyConfig;
}

export { envName, githubName, imageName };
