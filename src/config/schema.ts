import * as semver from "semver";
import { attestationsSchema, type AttestationsConfig } from "./attestations";
import { DEFAULT_EDGE_NAME, edgeSchema, type EdgeConfig } from "./edge";
import { githubSchema, type GithubConfig } from "./github";
import { hostsSchema, type HostConfig } from "./hosts";
import { imagesSchema, type ImageConfig } from "./images";
import { kubernetesSchema, targetSchema, type KubernetesConfig, type Target } from "./kubernetes";
import { maintenanceSchema, type MaintenanceSetting } from "./maintenance";
import { DOCKER_NAME_PATTERN, plain } from "./primitives";
import { promotionSchema, type PromotionConfig } from "./promotion";
import { registrySchema, type RegistryConfig } from "./registry";
import { retiredServiceSchema } from "./retired-service";
import { roleSchema, type Role } from "./role";
import { accessoriesSchema, type AccessorySpec } from "./accessories";
import { servicesSchema, type ServiceSpec } from "./services";
import { scanSchema, verifySchema, type ScanConfig, type VerifyConfig } from "./supply";

/**
 * The composition of `slipway:` config: one schema per key, each from its concern's module
 * (registry, images, hosts, edge, services and accessories, github, attestations, supply,
 * kubernetes, promotion, maintenance), and the validated config they make together.
 */

export { describe, expected, PATH_PLACEHOLDER } from "./primitives";

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
  service: retiredServiceSchema,
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
   * What runs on the hosts, in rollout order: `slipway:services` in declared order. A service
   * without routes is a worker.
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
