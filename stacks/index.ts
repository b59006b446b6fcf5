/**
 * The Slipway program: one stack per environment. Config is validated before any resource
 * is declared (a refusal lists every problem and nothing is touched), and nothing that
 * changes a registry or a host is registered before every look-up has passed.
 */
import * as pulumi from "@pulumi/pulumi";
import { declareMaintenance, deployAccessories, deployServices } from "../infra/deploy";
import { declareEdges } from "../infra/edge";
import type * as KubernetesTarget from "../infra/kubernetes";
import { deploymentEnvironment } from "../infra/github";
import type { Attestation } from "../infra/images";
import { declareSupplyChain } from "../infra/supply";
import { loadConfig, projectRoot, undrivenRollouts } from "../src/config";
import { endedPinMessage, holdRollbackPins, readSource, stampedPaths } from "../src/images";
import {
  activeRejections,
  currentUser,
  ledgerOutput,
  readLedger,
  releaseThatRan,
  readRejections,
} from "../src/ledger";
import { ReleaseRecord } from "../infra/ledger";
import type { KubernetesOutput } from "../src/outputs/contract";
import { missingTools } from "../src/supply";
import {
  accessoryOutputs,
  accessoryRefs,
  edgeImageRef,
  edgeOutput,
  hostOutputs,
  releaseOutput,
  serviceOutputs,
} from "./outputs";
import { afterLookups, declareImages, moveTags, repositoryOutputs } from "./program";
import { guardDigests, refuseRejectedBuilds } from "./safety";

// The user's project (Pulumi's root directory), wherever this program is installed.
const root = projectRoot();
// Every check that reads files or git runs here, before any resource is declared.
const loaded = loadConfig(root);
const recorded = readLedger(loaded.stack, root);
const contexts = loaded.images.flatMap((image) =>
  image.kind === "build" ? [image.build.context] : [],
);
const source =
  contexts.length === 0
    ? undefined
    : readSource({
        root,
        paths: contexts,
        ...stampedPaths(
          loaded.images.flatMap((image) => (image.kind === "build" ? [image.build] : [])),
          root,
        ),
        ...(loaded.source === undefined ? {} : { url: loaded.source }),
      });
// A build stack's rollback pins (slipway rollback): each image runs its pin while no later
// commit changed it; the next build release ends the pin.
const { config, ended } = holdRollbackPins(loaded, source);
for (const pin of ended) {
  void pulumi.log.warn(endedPinMessage(config.stack, pin));
}
// A rejected digest (slipway reject) is refused before any resource is declared, pins included.
const rejections = activeRejections(readRejections(root));
guardDigests(config, rejections, recorded);

// syft, trivy, cosign: refused before any resource when a supply-chain setting needs one that
// is not installed.
const missing = missingTools(config);
if (missing.length > 0) {
  throw new pulumi.RunError(`stack ${config.stack} cannot run:\n  ${missing.join("\n  ")}`);
}

// A rollout the host deploy does not drive yet (blue/green, a canary of replicas): refused, not ignored.
const undriven = undrivenRollouts(config.services);
if (undriven.length > 0) {
  throw new pulumi.RunError(`stack ${config.stack} cannot run:\n  ${undriven.join("\n  ")}`);
}

// The GitHub deployment environment, when the stack has a slipway:github section. Its
// reviewer and team look-ups gate everything that changes a registry or a host.
const github = deploymentEnvironment("github", config);
const gate = afterLookups(github === undefined ? [] : [github.reviewers]);

const attestations: Record<string, Attestation> = {};
const { images: declaredImages, repositories: declaredRepositories } = declareImages(
  config,
  { root, ...(source === undefined ? {} : { source }) },
  gate,
  attestations,
);
// A built digest that is rejected fails the update once known, before anything deploys it.
const declared = refuseRejectedBuilds(config, rejections, declaredImages);

// The supply-chain gate: SBOM and scan of each built digest, verification of each pinned one.
// Nothing deploys an image before its gate passed.
const supply = Object.values(
  declareSupplyChain(
    config,
    Object.fromEntries(
      Object.entries(declared).map(([name, image]) => [name, image.apply((i) => i.ref)]),
    ),
    Object.fromEntries(
      Object.entries(attestations).map(([name, attestation]) => [name, attestation.stdout]),
    ),
    gate,
  ),
);

// Each host's edge proxy, when this stack manages it: its own resource, never replaced by a
// release. Each host's deployment waits for that host's edge.
const edges = declareEdges(config, edgeImageRef(config, declared), gate, supply);

// On a Kubernetes target: the accessories as StatefulSets, then each service a Deployment in
// declared order, pinned to the digests above. On SSH hosts: accessories first (each host's,
// beside its services), then the services in declared order, each host by host in batches.
const kube = config.target === "kubernetes";
const cluster = kube
  ? // Loaded only here: @pulumi/kubernetes costs every other stack ~40 ms per program run.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("../infra/kubernetes") as typeof KubernetesTarget).deployToKubernetes(
      config,
      {
        services: Object.fromEntries(
          config.services.map((spec) => [
            spec.name,
            declared[spec.image]!.apply((image) => image.ref),
          ]),
        ),
        accessories: accessoryRefs(config, declared),
      },
      pulumi.mergeOptions(gate, { dependsOn: supply }),
    )
  : undefined;
const accessoryDeployments = kube
  ? {}
  : deployAccessories(
      config,
      accessoryRefs(config, declared),
      gate,
      Object.fromEntries(config.hosts.map((host) => [host.name, [...supply]])),
    );
const deployments: Record<
  string,
  Record<string, pulumi.Resource & { readonly ref: pulumi.Output<string> }>
> = cluster !== undefined
  ? Object.fromEntries(
      Object.entries(cluster.services).map(([name, deployment]) => [
        name,
        { [config.kubernetes!.namespace]: deployment },
      ]),
    )
  : kube
    ? {}
    : deployServices(
        config,
        Object.fromEntries(
          config.services.map((spec) => [
            spec.name,
            {
              ref: declared[spec.image]!.apply((image) => image.ref),
              revision: declared[spec.image]!.apply((image) => image.revision),
              // A digest the ledger ran passed its release command then (never re-run: also not
              // on a rollback, whose digest is always one of the ledger's).
              ranIn: declared[spec.image]!.apply((image) =>
                releaseThatRan(recorded, spec.image, image.digest),
              ),
            },
          ]),
        ),
        gate,
        Object.fromEntries(
          config.hosts.map((host) => [
            host.name,
            [
              ...(edges[host.name] === undefined ? [] : [edges[host.name]!]),
              ...supply,
              ...Object.values(accessoryDeployments).flatMap((byHost) => Object.values(byHost)),
            ],
          ]),
        ),
      );

// Services in maintenance (slipway:maintenance) keep their page through every update.
if (!kube) {
  declareMaintenance(config, deployments, gate);
}

// Moving tags (dev, latest, …) follow once every host runs the new digest healthily.
const moved = moveTags(
  config,
  declared,
  Object.fromEntries(
    [...new Set(config.services.map((spec) => spec.image))].map((image) => [
      image,
      config.services
        .filter((spec) => spec.image === image)
        .flatMap((spec) => Object.values(deployments[spec.name] ?? {})),
    ]),
  ),
);

export const role = config.role;
export const images = pulumi.output(declared);
/** Each image's repository: what is managed or checked there, and retention's keepDevVersions. */
export const repositories = repositoryOutputs(declaredRepositories);
export const hosts = hostOutputs(config);
/** What runs on the hosts, in rollout order: each service's image, routes and hosts. */
export const services = serviceOutputs(config);
/** The accessories: the reference each runs, and on which hosts. */
export const accessories = accessoryOutputs(config, declared);
/** The hosts' edge proxy: its name, and its image when this stack manages it. */
export const edge = edgeOutput(config, edgeImageRef(config, declared));
/** What each host was deployed with, by service, then host name (a Kubernetes target: namespace). */
export const deployed = Object.fromEntries(
  Object.entries(deployments).map(([name, byHost]) => [
    name,
    Object.fromEntries(Object.entries(byHost).map(([host, deployment]) => [host, deployment.ref])),
  ]),
);
/** The Kubernetes target's objects, for `slipway status` (null on SSH hosts). */
export const kubernetes: pulumi.Output<KubernetesOutput> | null =
  cluster === undefined
    ? null
    : pulumi
        .all([
          cluster.cluster.namespace,
          Object.values(cluster.services).map((service) => service.deployment),
          Object.values(cluster.services).map((service) => service.nodePort),
          Object.values(cluster.accessories).map((accessory) => accessory.statefulSet),
          Object.values(cluster.accessories).map((accessory) => accessory.claims),
        ])
        .apply(([namespace, deployments, nodePorts, statefulSets, claims]) => ({
          namespace,
          deployments,
          statefulSets,
          claims: claims.flat(),
          nodePort: nodePorts.find((port) => port !== null) ?? null,
        }));
/**
 * The release this update makes (null: it runs what the ledger's last release ran), which
 * `slipway up|promote|rollback|record` write to stacks/releases/<stack>.yaml once it succeeded.
 */
export const release = pulumi
  .output(declared)
  .apply((deployed) => releaseOutput(config, recorded, deployed));
/** The release ledger of this stack as it is once this update is recorded. */
export const ledger = release.apply((made) => ledgerOutput(recorded, made ?? undefined));

// The update records its own release as its last step: after every host's deployment, each
// accessory and edge, and the moving tags. A failed update never gets here; a preview only
// diffs it; a no-op records nothing.
const ledgerModule = require.resolve("../src/ledger/auto-record");
new ReleaseRecord(
  "ledger",
  {
    root,
    stack: config.stack,
    releaseId: recorded.releases.length + 1,
    release,
    by: "pulumi up",
    user: currentUser(),
    module: ledgerModule,
    ...(ledgerModule.endsWith(".ts")
      ? { register: require.resolve("ts-node/register/transpile-only") }
      : {}),
  },
  {
    dependsOn: [
      ...Object.values(deployments).flatMap((byHost) => Object.values(byHost)),
      ...Object.values(accessoryDeployments).flatMap((byHost) => Object.values(byHost)),
      ...Object.values(edges),
      ...Object.values(moved),
    ],
  },
);
export const githubEnvironment =
  github === undefined
    ? null
    : {
        environment: github.environment,
        repository: github.repository,
        secretNames: github.secretNames,
      };
