/**
 * The Slipway program: one stack per environment. Config is validated before any resource
 * is declared; a ConfigError lists every problem and nothing is touched.
 */
import * as pulumi from "@pulumi/pulumi";
import { deployService } from "../infra/deploy";
import { declareEdges } from "../infra/edge";
import { deploymentEnvironment } from "../infra/github";
import { declareSupplyChain } from "../infra/supply";
import { loadConfig, projectRoot } from "../src/config";
import { readSource } from "../src/images";
import { readLedger } from "../src/ledger";
import { missingTools } from "../src/supply";
import { declareImages, edgeImageRef, edgeOutput, hostOutputs, serviceOutput } from "./program";

const root = projectRoot(__dirname);
const config = loadConfig(root);
const contexts = config.images.flatMap((image) =>
  image.kind === "build" ? [image.build.context] : [],
);
const source =
  contexts.length === 0
    ? undefined
    : readSource({
        root,
        paths: contexts,
        ...(config.source === undefined ? {} : { url: config.source }),
      });

// syft, trivy, cosign: refused before any resource when a supply-chain setting needs one that
// is not installed.
const missing = missingTools(config);
if (missing.length > 0) {
  throw new Error(`stack ${config.stack} cannot run:\n  ${missing.join("\n  ")}`);
}

const attestations: Record<string, pulumi.Resource> = {};
const declared = declareImages(
  config,
  { root, ...(source === undefined ? {} : { source }) },
  attestations,
);

// The supply-chain gate: SBOM and scan of each built digest, verification of each pinned one.
// Nothing deploys an image before its gate passed.
const supply = declareSupplyChain(
  config,
  Object.fromEntries(
    Object.entries(declared).map(([name, image]) => [name, image.apply((i) => i.ref)]),
  ),
  attestations,
);
const gate = Object.values(supply);

// Each host's edge proxy, when this stack manages it: its own resource, never replaced by a
// release. Each host's deployment waits for that host's edge.
const edges = declareEdges(config, edgeImageRef(config, declared), gate);

// The service, host by host in batches, pinned to the digests above.
const serviceConfig = config.service;
const deployments =
  serviceConfig === undefined
    ? {}
    : deployService(
        config,
        {
          ref: declared[serviceConfig.image]!.apply((image) => image.ref),
          revision: declared[serviceConfig.image]!.apply((image) => image.revision),
        },
        undefined,
        Object.fromEntries(
          config.hosts.map((host) => [
            host.name,
            [...(edges[host.name] === undefined ? [] : [edges[host.name]!]), ...gate],
          ]),
        ),
      );

// The GitHub deployment environment, when the stack has a slipway:github section.
const github = deploymentEnvironment("github", config);

export const role = config.role;
export const images = pulumi.output(declared);
export const hosts = hostOutputs(config);
export const service = serviceOutput(config) ?? null;
/** The hosts' edge proxy: its name, and its image when this stack manages it. */
export const edge = edgeOutput(config, edgeImageRef(config, declared));
/** What each host was deployed with, by host name. */
export const deployed = Object.fromEntries(
  Object.entries(deployments).map(([host, deployment]) => [host, deployment.ref]),
);
/** The release ledger of this stack (stacks/releases/<stack>.yaml), the source for rollback. */
export const ledger = readLedger(config.stack, root);
export const githubEnvironment =
  github === undefined
    ? null
    : {
        environment: github.environment,
        repository: github.repository,
        secretNames: github.secretNames,
      };
