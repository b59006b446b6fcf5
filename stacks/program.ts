import * as pulumi from "@pulumi/pulumi";
import { Attestation, ImageBuild } from "../infra/images";
import type { SlipwayConfig } from "../src/config";
import { attestScript, planBuild, repositoryFor, type SourceInfo } from "../src/images";
import { digestRef } from "../src/reference";
import { cosignKeyFromFile } from "../src/supply";

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

/**
 * Declares the images of a stack: built ones as ImageBuild components, pinned ones as refs.
 * `attestations` receives each built image's Attestation, for whatever else writes to the
 * digest's cosign attestations and must not race it.
 */
export function declareImages(
  config: SlipwayConfig,
  context: ProgramContext,
  attestations: Record<string, pulumi.Resource> = {},
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
    const attestation = attest(config, context, plan, built);
    if (attestation !== undefined) {
      attestations[image.name] = attestation;
    }
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

/** Hosts as the stack exports them (no keys). */
export function hostOutputs(config: SlipwayConfig): Record<string, HostOutput> {
  return Object.fromEntries(
    config.hosts.map((host) => [
      host.name,
      { address: host.address, port: host.port, user: host.user, transport: host.transport },
    ]),
  );
}

export interface HostOutput {
  address: string;
  port: number;
  user: string;
  transport: "ssh" | "local";
}

export interface ServiceOutput {
  name: string;
  image: string;
  /** Host names the edge routes to the service (`*` for any host), with a path prefix. */
  routes: string[];
  healthPath: string;
}

export function serviceOutput(config: SlipwayConfig): ServiceOutput | undefined {
  const service = config.service;
  return service === undefined
    ? undefined
    : {
        name: service.name,
        image: service.image,
        routes: service.routes.map(
          (route) => `${route.tls ? "https" : "http"}://${route.host ?? "*"}${route.path ?? "/"}`,
        ),
        healthPath: service.healthPath,
      };
}

/** Provenance and signature for a built image, when the stack turns them on (SBOM: infra/supply). */
function attest(
  config: SlipwayConfig,
  context: ProgramContext,
  plan: ReturnType<typeof planBuild>,
  built: ImageBuild,
): Attestation | undefined {
  const { attestations, registry } = config;
  const provenance =
    attestations.provenance === "off" || context.source === undefined
      ? undefined
      : {
          plan,
          source: context.source,
          mode: attestations.provenance,
          root: context.root,
          ...(config.builder === undefined ? {} : { builder: config.builder }),
        };
  if (provenance === undefined && !attestations.sign) {
    return undefined;
  }
  // The key inline (a secret), or read from cosignKeyFile like a host's privateKeyFile.
  const key =
    attestations.cosignKey !== undefined
      ? attestations.cosignKey.reveal()
      : attestations.cosignKeyFile !== undefined
        ? cosignKeyFromFile(attestations.cosignKeyFile)
        : undefined;
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

/** The edge image's `repository@sha256:…`: a pinned reference, or an image of the stack. */
export function edgeImageRef(
  config: SlipwayConfig,
  images: Record<string, pulumi.Output<ImageOutput>>,
): pulumi.Output<string> | undefined {
  const image = config.edge.image;
  if (image === undefined) {
    return undefined;
  }
  return image.includes("@")
    ? pulumi.output(image)
    : images[image]!.apply((declared) => declared.ref);
}

export interface EdgeOutput {
  name: string;
  /** Whether this stack manages the edge (starts and upgrades it). */
  managed: boolean;
  image: string | null;
  httpPort: number | null;
  httpsPort: number | null;
}

export function edgeOutput(
  config: SlipwayConfig,
  image: pulumi.Output<string> | undefined,
): pulumi.Output<EdgeOutput> {
  const managed = config.edge.image !== undefined;
  return pulumi.output(image ?? null).apply((ref) => ({
    name: config.edge.name,
    managed,
    image: ref,
    httpPort: managed ? config.edge.httpPort : null,
    httpsPort: managed ? config.edge.httpsPort : null,
  }));
}
