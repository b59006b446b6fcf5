/**
 * What the program exports of a stack besides its images: hosts, services, accessories, the
 * edge, and the release this update makes (the contract in src/outputs/contract.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { SlipwayConfig } from "../src/config";
import { releaseOf, type Ledger, type ReleaseImage, type StackPin } from "../src/ledger";
import type {
  AccessoryOutput,
  HostOutput,
  ImageOutput,
  ReleaseOutput,
  ServiceOutput,
} from "../src/outputs/contract";
import { recordedTag } from "../src/registry/tags";

/** Hosts as the stack exports them (no keys). */
export function hostOutputs(config: SlipwayConfig): Record<string, HostOutput> {
  return Object.fromEntries(
    config.hosts.map((host) => [
      host.name,
      { address: host.address, port: host.port, user: host.user, transport: host.transport },
    ]),
  );
}

/** What runs on the hosts, by service name, in rollout order. */
export function serviceOutputs(config: SlipwayConfig): Record<string, ServiceOutput> {
  return Object.fromEntries(
    config.services.map((service) => [
      service.name,
      {
        name: service.name,
        image: service.image,
        routes: service.routes.map(
          (route) => `${route.tls ? "https" : "http"}://${route.host ?? "*"}${route.path ?? "/"}`,
        ),
        healthPath: service.healthPath,
        containerPort: service.containerPort,
        hosts: [...service.hosts],
        worker: service.routes.length === 0,
      },
    ]),
  );
}

/**
 * The `repository@sha256:…` of a setting that names either a pinned reference (it holds `@`:
 * the config checked its form) or an image of the stack (the edge's and accessories' `image`).
 */
export function imageRefOf(
  image: string,
  images: Readonly<Record<string, pulumi.Output<ImageOutput>>>,
): pulumi.Output<string> {
  return image.includes("@")
    ? pulumi.output(image)
    : images[image]!.apply((declared) => declared.ref);
}

/** The `repository@sha256:…` each accessory runs: a pinned reference, or an image of the stack. */
export function accessoryRefs(
  config: SlipwayConfig,
  images: Readonly<Record<string, pulumi.Output<ImageOutput>>>,
): Record<string, pulumi.Output<string>> {
  return Object.fromEntries(
    config.accessories.map((accessory) => [accessory.name, imageRefOf(accessory.image, images)]),
  );
}

export function accessoryOutputs(
  config: SlipwayConfig,
  images: Readonly<Record<string, pulumi.Output<ImageOutput>>>,
): pulumi.Output<Record<string, AccessoryOutput>> {
  const refs = accessoryRefs(config, images);
  return pulumi.output(
    Object.fromEntries(
      config.accessories.map((accessory) => [
        accessory.name,
        refs[accessory.name]!.apply((ref) => ({
          name: accessory.name,
          image: accessory.image,
          ref,
          hosts: [...accessory.hosts],
          volumes: Object.keys(accessory.volumes).sort(),
        })),
      ]),
    ),
  );
}

/** What the ledger records of each image the stack runs. */
export function releaseImages(
  images: Readonly<Record<string, ImageOutput>>,
): Record<string, ReleaseImage> {
  return Object.fromEntries(
    Object.entries(images).map(([name, image]) => {
      const tag = recordedTag(image.tags);
      return [
        name,
        {
          ref: image.ref,
          digest: image.digest,
          ...(tag === undefined ? {} : { tag }),
          ...(image.revision === undefined ? {} : { revision: image.revision }),
        },
      ];
    }),
  );
}

/**
 * The release this update makes, against the ledger as recorded (null: it runs what the last
 * release ran). Kind and source come from the pins' `source` and `restores`.
 */
export function releaseOutput(
  config: SlipwayConfig,
  ledger: Ledger,
  images: Readonly<Record<string, ImageOutput>>,
): ReleaseOutput | null {
  const pins: Record<string, StackPin> = {};
  for (const image of config.images) {
    if (image.kind === "pin") {
      pins[image.name] = {
        digest: image.pin.digest,
        ...(image.pin.source === undefined ? {} : { source: image.pin.source }),
        ...(image.pin.restores === undefined ? {} : { restores: image.pin.restores }),
      };
    }
  }
  return releaseOf(ledger, releaseImages(images), pins) ?? null;
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
  return imageRefOf(image, images);
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
