/**
 * The Slipway program: one stack per environment. Config is validated before any resource
 * is declared; a ConfigError lists every problem and nothing is touched.
 */
import * as pulumi from "@pulumi/pulumi";
import { deployService } from "../infra/deploy";
import { deploymentEnvironment } from "../infra/github";
import { loadConfig, projectRoot } from "../src/config";
import { readSource } from "../src/images";
import { ledgerOutput, readLedger } from "../src/ledger";
import { declareImages, hostOutputs, moveTags, releaseOutput, serviceOutput } from "./program";

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

const declared = declareImages(config, { root, ...(source === undefined ? {} : { source }) });

// The service, host by host in batches, pinned to the digests above.
const serviceConfig = config.service;
const deployments =
  serviceConfig === undefined
    ? {}
    : deployService(config, {
        ref: declared[serviceConfig.image]!.apply((image) => image.ref),
        revision: declared[serviceConfig.image]!.apply((image) => image.revision),
        proxyRef: declared[serviceConfig.proxyImage]!.apply((image) => image.ref),
      });

// Moving tags (dev, latest, …) follow once every host runs the new digest healthily.
moveTags(config, declared, deployments);

// The GitHub deployment environment, when the stack has a slipway:github section.
const github = deploymentEnvironment("github", config);

export const role = config.role;
export const images = pulumi.output(declared);
export const hosts = hostOutputs(config);
export const service = serviceOutput(config) ?? null;
/** What each host was deployed with, by host name. */
export const deployed = Object.fromEntries(
  Object.entries(deployments).map(([host, deployment]) => [host, deployment.ref]),
);
const recorded = readLedger(config.stack, root);
/**
 * The release this update makes (null: it runs what the ledger's last release ran), which
 * `slipway up|promote|rollback|record` write to stacks/releases/<stack>.yaml once it succeeded.
 */
export const release = pulumi
  .output(declared)
  .apply((deployed) => releaseOutput(config, recorded, deployed));
/** The release ledger of this stack as it is once this update is recorded. */
export const ledger = release.apply((made) => ledgerOutput(recorded, made ?? undefined));
export const githubEnvironment =
  github === undefined
    ? null
    : {
        environment: github.environment,
        repository: github.repository,
        secretNames: github.secretNames,
      };
