/**
 * The Slipway program: one stack per environment. Config is validated before any resource
 * is declared; a ConfigError lists every problem and nothing is touched.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../src/config";
import { readSource } from "../src/images";
import { declareImages, hostOutputs, serviceOutput } from "./program";

const root = pulumi.getRootDirectory();
const config = loadConfig();
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

export const role = config.role;
export const images = pulumi.output(declared);
export const hosts = hostOutputs(config);
export const service = serviceOutput(config);
