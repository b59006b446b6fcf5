import * as pulumi from "@pulumi/pulumi";
import {
  repositoryConfigFor,
  type CheckedOn,
  type ImageConfig,
  type SlipwayConfig,
} from "../../src/config";
import { imageRepository } from "../../src/images/plan";
import { RegistryRepository } from "./registry-repository";

/** What the image's repository check needs to know besides the config. */
export interface RepositoryContext {
  /** The digest the repository must hold: the one pushed, or the pin. */
  readonly digest?: pulumi.Input<string>;
  /** The source URL the image's labels carry (the build's), when known. */
  readonly source?: string;
  /** `hosts`: the pin was checked on the hosts (`pin.checkedOn`); the check says so only. */
  readonly checkedOn?: CheckedOn;
}

/** The source URL GHCR should link a pinned image to: `slipway:source`, or the GitHub repository. */
function stackSource(config: SlipwayConfig): string | undefined {
  if (config.source !== undefined) {
    return config.source;
  }
  return config.github === undefined
    ? undefined
    : `https://github.com/${config.github.owner}/${config.github.repository}`;
}

/**
 * The RegistryRepository of one image, from `slipway:registry` and its
 * `repositories.<image>` block. The registry credentials are the ones images are pushed with.
 */
export function registryRepository(
  config: SlipwayConfig,
  image: ImageConfig,
  context: RepositoryContext,
  opts?: pulumi.ComponentResourceOptions,
): RegistryRepository {
  const { registry } = config;
  const full = imageRepository(registry, image);
  const slash = full.indexOf("/");
  const settings = repositoryConfigFor(registry.repositories, image.name);
  const source = context.source ?? stackSource(config);
  return new RegistryRepository(
    image.name,
    {
      server: full.slice(0, slash),
      path: full.slice(slash + 1),
      ...(settings.visibility === undefined ? {} : { visibility: settings.visibility }),
      ...(settings.description === undefined ? {} : { description: settings.description }),
      keepDevVersions: settings.keepDevVersions,
      insecure: registry.insecure,
      ...(registry.username === undefined ? {} : { username: registry.username }),
      ...(registry.password === undefined
        ? {}
        : { password: pulumi.secret(registry.password.reveal()) }),
      ...(context.digest === undefined ? {} : { digest: context.digest }),
      ...(source === undefined ? {} : { source }),
      ...(context.checkedOn === undefined ? {} : { checkedOn: context.checkedOn }),
    },
    opts,
  );
}
