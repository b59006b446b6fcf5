import * as pulumi from "@pulumi/pulumi";
import { ImageBuild } from "../infra/images";
import type { SlipwayConfig } from "../src/config";
import { planBuild, repositoryFor, type SourceInfo } from "../src/images";
import { digestRef } from "../src/reference";

/** What every stack exports for people, promotion, rollback and status. */
export interface ImageOutput {
  repository: string;
  digest: string;
  ref: string;
  tags: string[];
  platforms: string[];
  revision?: string;
}

export interface ProgramContext {
  /** Project root (where Pulumi.yaml is). */
  readonly root: string;
  /** The commit being built; needed only when the stack builds. */
  readonly source?: SourceInfo;
}

/** Declares the images of a stack: built ones as ImageBuild components, pinned ones as refs. */
export function declareImages(
  config: SlipwayConfig,
  context: ProgramContext,
): Record<string, pulumi.Output<ImageOutput>> {
  const images: Record<string, pulumi.Output<ImageOutput>> = {};
  for (const image of config.images) {
    if (image.kind === "pin") {
      const repository = image.pin.repository ?? repositoryFor(config.registry, image.name);
      images[image.name] = pulumi.output({
        repository,
        digest: image.pin.digest,
        ref: digestRef(repository, image.pin.digest),
        tags: image.pin.tag === undefined ? [] : [`${repository}:${image.pin.tag}`],
        platforms: [],
        ...(image.pin.revision === undefined ? {} : { revision: image.pin.revision }),
      });
      continue;
    }
    if (context.source === undefined) {
      throw new Error(`image ${image.name} is built by this stack, but no source commit was read`);
    }
    const plan = planBuild(image.name, image.build, config.registry, context.source, context.root);
    const secrets = image.build.secrets;
    const built = new ImageBuild(image.name, {
      repository: plan.repository,
      tags: plan.tags,
      labels: plan.labels,
      platforms: plan.platforms,
      context: plan.context,
      dockerfile: plan.dockerfile,
      ...(plan.target === undefined ? {} : { target: plan.target }),
      buildArgs: plan.buildArgs,
      ...(plan.secretIds.length === 0
        ? {}
        : {
            secrets: pulumi.secret(
              Object.fromEntries(plan.secretIds.map((id) => [id, secrets[id]!.reveal()])),
            ),
          }),
      cacheFrom: plan.cache.cacheFrom,
      cacheTo: plan.cache.cacheTo,
      registryServer: config.registry.server,
      ...(config.registry.username === undefined
        ? {}
        : { registryUsername: config.registry.username }),
      ...(config.registry.password === undefined
        ? {}
        : { registryPassword: pulumi.secret(config.registry.password.reveal()) }),
      buildOnPreview: plan.buildOnPreview,
      ...(config.builder === undefined ? {} : { builder: config.builder }),
    });
    const revision = context.source.sha;
    images[image.name] = pulumi
      .all([built.repository, built.digest, built.ref, built.tags, built.platforms])
      .apply(([repository, digest, ref, tags, platforms]) => ({
        repository,
        digest,
        ref,
        tags,
        platforms,
        revision,
      }));
  }
  return images;
}
