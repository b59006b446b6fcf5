import * as pulumi from "@pulumi/pulumi";
import { Attestation, ImageBuild, MovingTags } from "../infra/images";
import { registryRepository, type RegistryRepository } from "../infra/registry";
import type { SlipwayConfig } from "../src/config";
import {
  attestScript,
  imageRepository,
  moveTagsScript,
  planBuild,
  splitTags,
  type SourceInfo,
} from "../src/images";
import type { ImageOutput } from "../src/outputs/contract";
import { digestRef, registryKind } from "../src/reference";
import { bareTag } from "../src/registry/tags";
import { cosignKeyOf } from "../src/supply";

export interface ProgramContext {
  /** Project root (where Pulumi.yaml is). */
  readonly root: string;
  /** The commit being built; needed only when the stack builds. */
  readonly source?: SourceInfo;
}

/** What a stack exports of each image repository. */
export interface RepositoryOutput {
  repository: string;
  kind: string;
  visibility: string;
  keepDevVersions: number;
  managed: string[];
  unmanaged: string;
}

/** The images of a stack and their repositories, by image name. */
export interface DeclaredImages {
  readonly images: Record<string, pulumi.Output<ImageOutput>>;
  readonly repositories: Record<string, RegistryRepository>;
}

/**
 * Declares the images of a stack: built ones as ImageBuild components, pinned ones as refs,
 * and one RegistryRepository each. On Docker Hub the repository comes first, so a first push
 * lands in a repository that already has its visibility; elsewhere the repository is checked
 * after the push (or against the pin).
 * `opts` reach each ImageBuild (and so, through it, the push and its attestation): the
 * program passes the gate that holds them until every look-up has passed.
 * `attestations` receives each built image's Attestation, for whatever else writes to the
 * digest's cosign attestations and must not race it.
 */
export function declareImages(
  config: SlipwayConfig,
  context: ProgramContext,
  opts?: pulumi.ComponentResourceOptions,
  attestations: Record<string, Attestation> = {},
): DeclaredImages {
  const images: Record<string, pulumi.Output<ImageOutput>> = {};
  const repositories: Record<string, RegistryRepository> = {};
  const hub = registryKind(config.registry.server) === "dockerhub";
  for (const image of config.images) {
    if (image.kind === "pin") {
      const repository = imageRepository(config.registry, image);
      images[image.name] = pulumi.output({
        repository,
        digest: image.pin.digest,
        ref: digestRef(repository, image.pin.digest),
        tags: image.pin.tag === undefined ? [] : [`${repository}:${image.pin.tag}`],
        platforms: [],
        ...(image.pin.revision === undefined ? {} : { revision: image.pin.revision }),
      });
      repositories[image.name] = registryRepository(
        config,
        image,
        {
          digest: image.pin.digest,
          ...(image.pin.checkedOn === undefined ? {} : { checkedOn: image.pin.checkedOn }),
        },
        opts,
      );
      continue;
    }
    if (context.source === undefined) {
      throw new Error(`image ${image.name} is built by this stack, but no source commit was read`);
    }
    const plan = planBuild(image.name, image.build, config.registry, context.source, context.root);
    const secrets = image.build.secrets;
    // Moving tags (dev, latest, …) are not pushed with the build: see moveTags.
    const hubRepository = hub ? registryRepository(config, image, {}, opts) : undefined;
    const built = new ImageBuild(
      image.name,
      {
        repository: plan.repository,
        tags: splitTags(plan.tags).fixed,
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
      },
      hubRepository === undefined
        ? opts
        : pulumi.mergeOptions(opts, { dependsOn: [hubRepository] }),
    );
    const attestation = attest(config, context, plan, built);
    if (attestation !== undefined) {
      attestations[image.name] = attestation;
    }
    repositories[image.name] =
      hubRepository ??
      registryRepository(config, image, {
        digest: built.digest,
        ...(context.source.url === undefined ? {} : { source: context.source.url }),
      });
    const revision = plan.revision;
    images[image.name] = pulumi
      .all([built.repository, built.digest, built.ref, built.platforms])
      .apply(([repository, digest, ref, platforms]) => ({
        repository,
        digest,
        ref,
        // Every tag the image is published under once the update succeeded.
        tags: [...plan.tags],
        platforms,
        revision,
      }));
  }
  return { images, repositories };
}

/** The repositories as the stack exports them. */
export function repositoryOutputs(
  repositories: Record<string, RegistryRepository>,
): pulumi.Output<Record<string, RepositoryOutput>> {
  return pulumi.output(
    Object.fromEntries(
      Object.entries(repositories).map(([name, repository]) => [
        name,
        pulumi
          .all([
            repository.repository,
            repository.kind,
            repository.visibility,
            repository.keepDevVersions,
            repository.managed,
            repository.unmanaged,
          ])
          .apply(([repo, kind, visibility, keepDevVersions, managed, unmanaged]) => ({
            repository: repo,
            kind,
            visibility,
            keepDevVersions,
            managed,
            unmanaged,
          })),
      ]),
    ),
  );
}

/**
 * Moves the moving tags (`dev`, `latest`, `1.2`, …) of every image the stack builds to its
 * new digest, after the host deployments that run it (an image no service runs: after every
 * deployment of the stack): a release the hosts refused never gets them. A stack without
 * hosts moves them right after the build.
 */
export function moveTags(
  config: SlipwayConfig,
  images: Readonly<Record<string, pulumi.Output<ImageOutput>>>,
  /** By image name, the deployments that run it; an image no service runs waits for them all. */
  deployments: Readonly<
    Record<string, readonly (pulumi.Resource & { readonly ref: pulumi.Output<string> })[]>
  >,
): Record<string, MovingTags> {
  const all = Object.values(deployments).flat();
  const moved: Record<string, MovingTags> = {};
  const { registry } = config;
  const auth =
    registry.username === undefined || registry.password === undefined
      ? undefined
      : pulumi.secret(
          Buffer.from(`${registry.username}:${registry.password.reveal()}`).toString("base64"),
        );
  for (const image of config.images) {
    const output = images[image.name];
    if (image.kind !== "build" || output === undefined) {
      continue;
    }
    const tags = output.apply((value) => splitTags(value.tags).moving.map((ref) => bareTag(ref)));
    moved[image.name] = new MovingTags(
      image.name,
      {
        ref: output.apply((value) => value.ref),
        tags,
        script: pulumi
          .all([output, tags])
          .apply(([value, moving]) =>
            moving.length === 0
              ? "true\n"
              : moveTagsScript({ ref: value.ref, tags: moving, insecure: registry.insecure }),
          ),
        // What each host running the image reports once its health gate passed: known only
        // then. An image no service runs waits for every deployment (dependsOn) without being
        // keyed on what they run: another image's release must not move its tags again.
        healthy: (deployments[image.name] ?? []).map((deployment) => deployment.ref),
        ...(auth === undefined ? {} : { registryAuth: auth }),
      },
      { dependsOn: [...(deployments[image.name] ?? all)] },
    );
  }
  return moved;
}

/** Provenance and signature for a built image, when the stack turns them on (SBOM: infra/supply). */
function attest(
  config: SlipwayConfig,
  context: ProgramContext,
  plan: ReturnType<typeof planBuild>,
  built: ImageBuild,
): Attestation | undefined {
  const { attestations, registry } = config;
  // The commit the digest comes from (plan.revision), not HEAD: a commit that leaves the
  // image's context alone leaves its attestation script, and so its signature, as they were.
  const provenance =
    attestations.provenance === "off" || context.source === undefined
      ? undefined
      : {
          plan,
          source: {
            sha: plan.revision,
            ...(context.source.url === undefined ? {} : { url: context.source.url }),
          },
          mode: attestations.provenance,
          root: context.root,
          ...(config.builder === undefined ? {} : { builder: config.builder }),
        };
  if (provenance === undefined && !attestations.sign) {
    return undefined;
  }

  const key = cosignKeyOf(attestations);
  const script = built.ref.apply(
    (ref) =>
      attestScript({
        ref,
        attestations,
        insecure: registry.insecure,
        ...(provenance ? { provenance } : {}),
      }) ?? "",
  );
  const auth =
    registry.username === undefined || registry.password === undefined
      ? undefined
      : pulumi.secret(
          Buffer.from(`${registry.username}:${registry.password.reveal()}`).toString("base64"),
        );
  return new Attestation(plan.name, {
    ref: built.ref,
    script,
    ...(auth === undefined ? {} : { registryAuth: auth }),
    ...(key === undefined ? {} : { cosignKey: pulumi.secret(key) }),
    ...(key === undefined
      ? {}
      : { cosignPassword: pulumi.secret(attestations.cosignPassword?.reveal() ?? "") }),
  });
}

/**
 * Resource options that hold a resource back until every look-up the program makes has
 * passed (today: the GitHub environment's reviewer and team resolution). A resource with
 * them is not even registered before then, and never when a look-up fails: under
 * `--skip-preview` (the Automation API path of `slipway promote|rollback|up`) a failure
 * changes no host and no registry.
 */
export function afterLookups(
  lookups: readonly pulumi.Output<unknown>[],
): pulumi.ComponentResourceOptions {
  return lookups.length === 0
    ? {}
    : { dependsOn: pulumi.all([...lookups]).apply((): pulumi.Resource[] => []) };
}
