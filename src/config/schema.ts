import * as semver from "semver";
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
import { maintenanceSchema, type MaintenanceSetting } from "./maintenance";
import {
  DOCKER_NAME_PATTERN,
  ENV_NAME_PATTERN,
  expected,
  plain,
  plainScalar,
  plainText,
  port,
  ruled,
  secret,
} from "./primitives";
import {
  accessoriesSchema,
  serviceSchema,
  servicesSchema,
  type AccessorySpec,
  type ServiceSpec,
} from "./services";
import { scanSchema, verifySchema, type ScanConfig, type VerifyConfig } from "./supply";
import { kubernetesSchema, targetSchema, type KubernetesConfig, type Target } from "./kubernetes";
import { promotionSchema, type PromotionConfig } from "./promotion";

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

const envName = ENV_NAME_PATTERN;

const platform = z.enum(PLATFORMS, {
  error: (issue) => `${JSON.stringify(issue.input)} is not one of ${PLATFORMS.join(", ")}`,
});

const relativePath = plain.min(1, "must not be empty");

export const registrySchema = z.strictObject({
  server: plain
    .regex(REGISTRY_PATTERN, "is not a registry host[:port], e.g. ghcr.io")
    .describe("Registry host and optional port: `ghcr.io`, `docker.io`, `127.0.0.1:5000`."),
  namespace: plain
    .refine(
      (value) => value.split("/").every((part) => REPOSITORY_COMPONENT_PATTERN.test(part)),
      "is not a repository path: lowercase components separated by /, e.g. acme or acme/team",
    )
    .optional()
    .describe(
      "Path prefix below the server, e.g. an organisation: `acme` gives `ghcr.io/acme/<image>`. Required on Docker Hub.",
    ),
  username: plain
    .optional()
    .describe(
      "Login for pushing and pulling; both `username` and `password`, or neither (an open registry). On Docker Hub both are required (an access token).",
    ),
  password: secret.optional().describe("Password or token for `username`; a Pulumi secret."),
  insecure: z
    .boolean()
    .default(false)
    .describe("Plain-HTTP registry (loopback development registries only)."),
  repositories: repositoriesSchema.describe(
    "Per image of `slipway:images` (another name is an error): the repository's settings and retention; see docs/images.md#registry-repositories-and-retention.",
  ),
});

export const buildSchema = z.strictObject({
  context: relativePath.describe(
    "Build context: a folder inside the project, relative to its root. Required.",
  ),
  dockerfile: relativePath
    .optional()
    .describe(
      "Dockerfile, relative to the project root (it must exist inside the project); defaults to `<context>/Dockerfile`.",
    ),
  target: plain.optional().describe("Stage to build; the last stage when absent."),
  platforms: z
    .array(platform)
    .min(1, "needs at least one platform")
    .default([...PLATFORMS])
    .describe("Platforms of the multi-platform image."),
  args: z
    .record(
      z.string(),
      plainText(
        "a build arg",
        "build args are kept in the image history; pass it in build.secrets and read it with RUN --mount=type=secret",
      ),
    )
    .default({})
    .describe(
      "Build arguments. They are stored in the image: secret-looking names and secure values are refused (use `secrets`).",
    ),
  secrets: z
    .record(z.string(), secret)
    .default({})
    .describe(
      "BuildKit secrets by id, mounted with `RUN --mount=type=secret,id=<id>`; Pulumi secrets, ignored in diffs.",
    ),
  cache: z
    .strictObject({
      mode: z
        .enum(CACHE_MODES, {
          error: (issue) =>
            `${JSON.stringify(issue.input)} is not a cache mode; use one of ${CACHE_MODES.join(", ")}`,
        })
        .default("registry")
        .describe("Where the cache lives: `registry`, `gha` (GitHub Actions' cache) or `none`."),
      ref: plain
        .optional()
        .describe("Cache image for `registry` mode; defaults to `<repository>:buildcache`."),
      scope: plain.optional().describe("Cache scope for `gha` mode; defaults to the image name."),
    })
    .default({ mode: "registry" })
    .describe("Layer cache: `registry` (`<repo>:buildcache`, mode max), `gha`, or `none`."),
  buildOnPreview: z
    .boolean()
    .default(false)
    .describe(
      "Build during `pulumi preview` too (off: previews of pull requests never build or push).",
    ),
  tags: z
    .array(plain.regex(TAG_PATTERN, "is not a valid tag"))
    .default([])
    .describe("Extra static tags, besides the ones computed from git."),
  stamp: z
    .enum(STAMPS, {
      error: (issue) => `${JSON.stringify(issue.input)} is not one of ${STAMPS.join(", ")}`,
    })
    .default("commit")
    .describe(
      "`commit`: labels and timestamps from the commit (revision, created). `context`: from the last commit that changed the build context, so in a repository of several images a commit rebuilds only the images whose context it changed (the others keep their digest, and their services keep running). `none`: none of them (SOURCE_DATE_EPOCH 0), so the digest depends only on the context, e.g. the edge proxy. With `context` and `none` the per-build tags (`sha-…`, `dev-…`) name the last commit that changed the context too, so an image a commit did not touch gets no build, no push, no signature and no restart.",
    ),
});

export const pinSchema = z.strictObject({
  digest: plain
    .refine((value) => DIGEST_PATTERN.test(value), {
      error: (issue) => `${digestProblem(String(issue.input))}`,
    })
    .optional()
    .describe(
      "`sha256:<64 hex>`, the digest a build stack produced (written by `slipway promote`). Required in a promote stack: a tag can move.",
    ),
  tag: plain
    .regex(TAG_PATTERN, "is not a valid tag")
    .optional()
    .describe("The tag the digest was published under, kept for people reading the file."),
  revision: plain
    .regex(/^[0-9a-f]{7,40}$/, "is not a git commit sha")
    .optional()
    .describe("Source commit the digest was built from (written by `slipway promote`)."),
  repository: plain
    .optional()
    .describe("Repository to pull from, when it is not `<registry>/<namespace>/<name>`."),
  source: plain
    .regex(/^[A-Za-z0-9_.-]+$/, "is not a stack name")
    .optional()
    .describe(
      "The stack the digest was promoted from (written by `slipway promote`; the ledger's source).",
    ),
  restores: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("The ledger release a rollback restored (written by `slipway rollback`)."),
  checkedOn: z
    .literal("hosts", { error: 'can only be "hosts" (written by slipway rollback)' })
    .optional()
    .describe(
      "`hosts`: written by `slipway rollback` when the registry was unreachable and every host that runs the image still had this digest; the stack's repository check and signature verification then do not contact the registry for it. Any later pin write drops it.",
    ),
  pinnedAt: plain
    .regex(/^[0-9a-f]{7,40}$/, "is not a git commit sha")
    .optional()
    .describe(
      "On a build stack, beside `build` (written by `slipway rollback`): the commit the image's build came from when the rollback pinned it. The stack runs the pin instead of building until a later commit changes the image (the next build release), or `slipway rollback --unpin`.",
    ),
});

export const imageSchema = z.strictObject({
  build: buildSchema
    .optional()
    .describe("How a build stack builds the image (refused in a promote stack)."),
  pin: pinSchema
    .optional()
    .describe("The digest another stack built, pinned by `slipway promote` or `slipway rollback`."),
});

export const imagesSchema = z.record(z.string(), imageSchema);

const proxySchema = z.strictObject({
  address: plain.min(1, "must not be empty").describe("The bastion's address. Required."),
  port: port.default(22).describe("The bastion's SSH port."),
  user: plain.min(1).default("root").describe("User on the bastion."),
  privateKey: secret.optional().describe("SSH private key for the bastion; a Pulumi secret."),
  privateKeyFile: plain
    .optional()
    .describe("Or: path of that key on the machine that runs `pulumi up` (`~/` expanded)."),
  hostKey: hostKey.optional().describe("The bastion's public key; pins its identity."),
});

export const hostSchema = z.strictObject({
  name: plain
    .regex(
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
      "is not a host name: lowercase letters, digits and inner dashes",
    )
    .describe("Short name, unique in the stack, used in resource names and messages. Required."),
  transport: z
    .enum(TRANSPORTS, {
      error: (issue) => `${JSON.stringify(issue.input)} is not one of ${TRANSPORTS.join(", ")}`,
    })
    .default("ssh")
    .describe("`ssh`: over SSH (default); `local`: this machine, no SSH."),
  address: plain
    .min(1, "must not be empty")
    .default("127.0.0.1")
    .describe("Address (name or IP) the host is reached at over SSH."),
  port: port.default(22).describe("The host's SSH port."),
  user: plain.min(1, "must not be empty").default("root").describe("SSH user; runs docker."),
  privateKey: secret
    .optional()
    .describe(
      "SSH private key (PEM/OpenSSH); a Pulumi secret. An SSH host needs `privateKey` or `privateKeyFile`.",
    ),
  privateKeyFile: plain
    .optional()
    .describe(
      "Path to an SSH private key file on the machine that runs `pulumi up` (`~/` expanded); it must exist when the program runs.",
    ),
  hostKey: hostKey
    .optional()
    .describe(
      "The host's public key, `ssh-ed25519 AAAA…` as `ssh-keyscan` prints it; pins the host's identity (checked to parse).",
    ),
  proxy: proxySchema
    .optional()
    .describe("A bastion to jump through: `address`, `port`, `user`, a key, `hostKey`."),
  roles: z
    .array(
      plain.regex(
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
        "is not a role: lowercase letters, digits and inner dashes",
      ),
    )
    .default([])
    .describe(
      "Roles the host has (`[web]`, `[db]`): services and accessories with `role: <role>` run on it.",
    ),
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
  name: plain
    .regex(DOCKER_NAME_PATTERN, "is not a container name: lowercase letters, digits, _ . -")
    .default(DEFAULT_EDGE_NAME)
    .describe("Container, network and state directory name of the edge on each host."),
  image: plain
    .min(1, "must not be empty")
    .optional()
    .describe(
      "Set: this stack manages the edge. An image of `slipway:images` (`edge` locally), or a pinned `repository@sha256:…` (e.g. the official `docker.io/library/caddy:2.11@sha256:…`). Absent: the stack routes through the edge another stack manages on its hosts.",
    ),
  httpPort: port.default(80).describe("Host port for HTTP (the managing stack only)."),
  httpsPort: port.default(443).describe("Host port for HTTPS (the managing stack only)."),
  bind: plain
    .regex(IPV4, "is not an IPv4 address, e.g. 0.0.0.0 or 127.0.0.1")
    .default("0.0.0.0")
    .describe("Address the ports are published on: `0.0.0.0` (all interfaces) or `127.0.0.1`."),
  tls: z
    .enum(TLS_ISSUERS, {
      error: (issue) => `${JSON.stringify(issue.input)} is not one of ${TLS_ISSUERS.join(", ")}`,
    })
    .default("acme")
    .describe(
      "Certificate issuer for TLS routes: `acme` (public names; Caddy's own CA for `localhost` names) or `internal` (Caddy's CA for every name).",
    ),
  email: plain
    .regex(/^[^\s@]+@[^\s@]+$/, "is not an e-mail address")
    .optional()
    .describe("ACME account e-mail (expiry notices); optional."),
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

/** GitHub's rule for secret and variable names is the environment variable rule. */
const githubName = ENV_NAME_PATTERN;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

export const githubSchema = z.strictObject({
  owner: plain
    .min(1, "must not be empty")
    .describe(
      "User or organisation that owns the repository; GITHUB_OWNER or GITHUB_ORGANIZATION naming another account is refused.",
    ),
  repository: plain.min(1, "must not be empty").describe("The repository's name."),
  environment: ruled(environmentNameProblem).describe(
    "Environment name, e.g. `production`: 1 to 255 letters, digits, spaces, `. _ - /`. Required, with `owner` and `repository`.",
  ),
  baseUrl: plain
    .refine(isHttpUrl, "must be an http(s) URL, e.g. https://github.example.com/")
    .optional()
    .describe(
      "GitHub API base URL: GitHub Enterprise Server's `https://<host>/` (the provider then calls `<host>/api/v3/`). GITHUB_BASE_URL, else GitHub's own API, when absent.",
    ),
  token: secret
    .optional()
    .describe("Token for the GitHub API (a Pulumi secret); GITHUB_TOKEN when absent."),
  reviewers: z
    .strictObject({
      users: z
        .array(plain.refine((value) => value.trim() !== "", "is empty; give a GitHub login"))
        .default([])
        .describe("GitHub logins."),
      teams: z
        .array(
          plain.refine(
            (value) => value.trim() !== "",
            "is empty; give the team's slug (the last part of its URL), e.g. platform",
          ),
        )
        .default([])
        .describe("Team slugs (the last part of the team's URL), e.g. `platform`."),
    })
    .default({ users: [], teams: [] })
    .describe(
      "Required reviewers by login and by team slug; at most 6 together, resolved to ids before anything is changed.",
    ),
  waitTimer: z
    .number({ error: expected("a number of minutes") })
    .int("must be a whole number of minutes")
    .min(0, `must be between 0 and ${MAX_WAIT_TIMER_MINUTES} minutes (30 days)`)
    .max(
      MAX_WAIT_TIMER_MINUTES,
      `must be between 0 and ${MAX_WAIT_TIMER_MINUTES} minutes (30 days)`,
    )
    .default(0)
    .describe("Minutes to wait before a deployment may proceed."),
  preventSelfReview: z
    .boolean()
    .default(false)
    .describe("The person who triggered a deployment may not approve it."),
  canAdminsBypass: z
    .boolean()
    .optional()
    .describe(
      "Whether admins may bypass the rules (GitHub's default when absent); always false for promote stacks.",
    ),
  deploymentBranches: z
    .strictObject({
      protectedBranches: z
        .boolean()
        .default(false)
        .describe("Only protected branches may deploy (not with `branches` or `tags`)."),
      branches: z.array(branchPattern).default([]).describe("Branch name patterns, e.g. `main`."),
      tags: z.array(branchPattern).default([]).describe("Tag name patterns, e.g. `v*`."),
    })
    .optional()
    .describe(
      "Which refs may deploy: `protectedBranches: true`, or `branches`/`tags` patterns; any ref when absent.",
    ),
  secrets: z
    .record(z.string(), secret)
    .default({})
    .describe("Environment secrets (values are Pulumi secrets)."),
  variables: z.record(z.string(), plainScalar).default({}).describe("Environment variables."),
});

export const attestationsSchema = z
  .strictObject({
    provenance: z
      .enum(["off", "min", "max"])
      .default("max")
      .describe("SLSA provenance attestation attached with `oras`: `off`, `min` or `max`."),
    sbom: z
      .boolean()
      .default(false)
      .describe(
        "SPDX SBOM per platform of each built digest, made with syft, attested on each platform's manifest digest (`spdxjson`) when signing, an OCI referrer otherwise.",
      ),
    sign: z
      .boolean()
      .default(false)
      .describe(
        "Sign each pushed digest with cosign, and sign its attestations (provenance, SBOM, scan); no transparency log upload.",
      ),
    cosignKey: secret
      .optional()
      .describe("cosign private key (a Pulumi secret), needed when `sign` is on."),
    cosignKeyFile: plain
      .min(1, "must not be empty")
      .optional()
      .describe(
        "Or: path of the cosign private key on the machine that runs `pulumi up`; `~/` expanded.",
      ),
    cosignPassword: secret.optional().describe("Password of the cosign key."),
  })
  .default({ provenance: "max", sbom: false, sign: false });

export const roleSchema = z
  .enum(ROLES, {
    error: (issue) => `${JSON.stringify(issue.input)} is not one of ${ROLES.join(", ")}`,
  })
  .default("build");

/** One schema per `slipway:<key>`; a key not listed here is an error. */
export const KEY_SCHEMAS = {
  role: roleSchema.describe(
    "`build` stacks build images (dev, local); `promote` stacks only pin digests a build stack produced (prod): a `build` section or a tag-only pin there is an error.",
  ),
  version: plain
    .refine((value) => semver.validRange(value) !== null, "is not a version range, e.g. ^0.1.0")
    .optional()
    .describe(
      "The Slipway versions this project runs with, as a semver range (`^0.1.0`): `slipway init` writes it into Pulumi.yaml. Another installed version is refused, naming both.",
    ),
  builder: plain
    .min(1, "must not be empty")
    .optional()
    .describe(
      "Buildx builder to build with (e.g. a `remote` builder); the default builder when absent.",
    ),
  source: plain
    .url("must be a URL, e.g. https://github.com/acme/web")
    .optional()
    .describe("Source repository URL for image labels; from CI or the git remote when absent."),
  registry: registrySchema.describe(
    "The OCI registry images are pushed to and pulled from: `<server>/<namespace>/<image>`. Required.",
  ),
  images: imagesSchema.describe(
    "The stack's images by name (a repository component: `[a-z0-9]` with `._-` between), each with `build` (build stacks) or `pin` (a digest another stack built). Required.",
  ),
  target: targetSchema.describe(
    "Where the service runs: `ssh` (slipway:hosts) or `kubernetes` (slipway:kubernetes, see docs/kubernetes.md). A Kubernetes stack has no hosts and no `edge.image`.",
  ),
  hosts: hostsSchema
    .default([])
    .describe("The machines services and accessories run on, reached over SSH or locally."),
  service: serviceSchema
    .optional()
    .describe(
      "The one-service form (stacks before `slipway:services`): the fields of a service plus `name` and `image` defaults, and `routes` default `[{}]` (every request). Not together with `slipway:services`.",
    ),
  services: servicesSchema
    .optional()
    .describe(
      "What runs on the hosts, rolled out in this (declared) order. `<name>` (`[a-z0-9-]`) names the containers (`<name>-<digest12>-<hash>`) and the state directory; one stack owns a name on a host. A service with routes is served by the edge; one without is a worker.",
    ),
  accessories: accessoriesSchema
    .default({})
    .describe(
      "Stateful containers beside the services (PostgreSQL, Redis, …), started before any service, pinned by digest, with named volumes that survive every release; an app release never restarts them. A name a service has is an error.",
    ),
  network: plain
    .regex(DOCKER_NAME_PATTERN, "is not a network name: lowercase letters, digits, _ . -")
    .optional()
    .describe(
      "The stack's Docker network on its hosts (`slipway-<stack>` by default): services and accessories reach each other by name on it, and accessory containers and volumes are named after it. Set it when two projects with the same stack name share a host.",
    ),
  kubernetes: kubernetesSchema
    .optional()
    .describe(
      "The cluster of a `slipway:target: kubernetes` stack and how the service runs there; read only on that target.",
    ),
  maintenance: maintenanceSchema.describe(
    "Routed services in maintenance, by name: their routes answer 503 with a page and `Retry-After` while the release keeps running. `slipway maintenance on|off` writes it (and switches the hosts at once); every `pulumi up` applies it.",
  ),
  edge: edgeSchema
    .default({
      name: DEFAULT_EDGE_NAME,
      httpPort: 80,
      httpsPort: 443,
      bind: "0.0.0.0",
      tls: "acme",
    })
    .describe(
      "The edge proxy (Caddy) of every host of the stack. A stack that sets `image` manages it (starts, upgrades it); a stack without it routes through the edge of that name that another stack manages on the same hosts.",
    ),
  github: githubSchema
    .optional()
    .describe(
      "The GitHub environment of the stack (reviewers, wait timer, branch rules, secrets, variables); absent: no GitHub resources.",
    ),
  attestations: attestationsSchema.describe(
    "Provenance, SBOMs and signatures of every digest this stack builds.",
  ),
  scan: scanSchema.describe(
    "The vulnerability gate: trivy scans each platform of every built digest before any host is touched, and the result is attested on the digest (also when it fails). Absent: no scan.",
  ),
  verify: verifySchema.describe(
    "What every digest this stack deploys must be signed with and carry, checked by `slipway promote` and again before any host pulls. Absent: no check.",
  ),
  promotion: promotionSchema
    .optional()
    .describe(
      "A promote stack's source and soak time: `slipway promote` refuses a digest that has run on `from` for less than `minSoakMinutes`, and `slipway promote --auto` promotes the newest one that has. Only on a `promote` stack.",
    ),
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

/**
 * An image is either built by this stack or pinned to a digest another stack built. A build
 * may carry a rollback pin (`pin.pinnedAt`): what the stack runs instead while it holds.
 */
export type ImageConfig =
  | {
      readonly kind: "build";
      readonly name: string;
      readonly build: BuildConfig;
      readonly rollbackPin?: PinConfig & { readonly pinnedAt: string };
    }
  | { readonly kind: "pin"; readonly name: string; readonly pin: PinConfig };

/** The whole validated `slipway:` config of one stack. */
export interface SlipwayConfig {
  readonly stack: string;
  readonly role: Role;
  /** The Slipway versions the project names (`slipway:version`), already checked. */
  readonly version?: string;
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
  /** Routed services in maintenance, by name (`slipway:maintenance`). */
  readonly maintenance: Readonly<Record<string, MaintenanceSetting>>;
  readonly github?: GithubConfig;
  readonly attestations: AttestationsConfig;
  /** The vulnerability gate of built digests; absent: no scan. */
  readonly scan?: ScanConfig;
  /** What deployed digests must be signed with and carry; absent: no verification. */
  readonly verify?: VerifyConfig;
  /** Where a promote stack's digests come from and their soak time (`slipway promote --auto`). */
  readonly promotion?: PromotionConfig;
}

export { envName, githubName, imageName };
