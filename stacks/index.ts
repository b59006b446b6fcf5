/**
 * The Slipway program: one stack per environment. Config is validated before any resource
 * is declared; a ConfigError lists every problem and nothing is touched.
 */
import * as pulumi from "@pulumi/pulumi";
import { deploymentEnvironment } from "../infra/github";
import { loadConfig, projectRoot } from "../src/config";
import { readSource } from "../src/images";
import { declareImages, hostOutputs, serviceOutput } from "./program";

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
// The GitHub deployment environment, when the stack has a slipway:github section.
const github = deploymentEnvironment("github", config);

export const role = config.role;
export const images = pulumi.output(declared);
export const hosts = hostOutputs(config);
export const service = serviceOutput(config);
export const githubEnvironment =
  github === undefined
    ? undefined
    : {
        environment: github.environment,
        repository: github.repository,
        secretNames: github.secretNames,
      };
