import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";

/** Inputs of an ImageBuild: one multi-platform image pushed to a registry. */
export interface ImageBuildArgs {
  /** Repository pushed to, `registry/namespace/name`. */
  repository: pulumi.Input<string>;
  /** Full references to push, `<repository>:<tag>`. */
  tags: pulumi.Input<pulumi.Input<string>[]>;
  /** Labels on the image config (OCI annotations). */
  labels: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Platforms of the image index. */
  platforms: pulumi.Input<pulumi.Input<"linux/amd64" | "linux/arm64">[]>;
  /** Absolute path of the build context. */
  context: pulumi.Input<string>;
  /** Absolute path of the Dockerfile. */
  dockerfile: pulumi.Input<string>;
  /** Stage to build. */
  target?: pulumi.Input<string>;
  /** Build arguments (never secrets: they stay in the image history). */
  buildArgs?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** BuildKit secrets by id, mounted with `RUN --mount=type=secret,id=<id>`. */
  secrets?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Cache imports, in docker-build's `cacheFrom` shape. */
  cacheFrom?: pulumi.Input<pulumi.Input<dockerbuild.types.input.CacheFromArgs>[]>;
  /** Cache exports, in docker-build's `cacheTo` shape. */
  cacheTo?: pulumi.Input<pulumi.Input<dockerbuild.types.input.CacheToArgs>[]>;
  /** Registry host the credentials are for. */
  registryServer: pulumi.Input<string>;
  /** Registry user; no credentials are passed when absent. */
  registryUsername?: pulumi.Input<string>;
  /** Registry password or token. */
  registryPassword?: pulumi.Input<string>;
  /** Build during previews too; off so pull-request previews never build or push. */
  buildOnPreview?: pulumi.Input<boolean>;
  /** Buildx builder to use; the default builder when absent. */
  builder?: pulumi.Input<string>;
}

/**
 * A multi-platform image built with BuildKit and pushed by digest. The image resource is
 * retained on delete: a replacement or a stack destroy never deletes what a rollback may need.
 */
export class ImageBuild extends pulumi.ComponentResource {
  /** Repository, `registry/namespace/name`. */
  public readonly repository: pulumi.Output<string>;
  /** Full references pushed. */
  public readonly tags: pulumi.Output<string[]>;
  /** `sha256:<hex>` of the pushed image index. */
  public readonly digest: pulumi.Output<string>;
  /** `repository@sha256:<hex>`: what everything downstream uses. */
  public readonly ref: pulumi.Output<string>;
  /** Platforms built. */
  public readonly platforms: pulumi.Output<string[]>;

  constructor(name: string, args: ImageBuildArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:image:ImageBuild", name, {}, opts);

    // The ids are names, not secrets; only the values stay secret.
    const secretIds = pulumi.unsecret(
      pulumi.output(args.secrets ?? {}).apply((secrets) => Object.keys(secrets).sort()),
    );
    const image = new dockerbuild.Image(
      `${name}-image`,
      {
        push: true,
        tags: args.tags,
        labels: args.labels,
        platforms: args.platforms,
        context: { location: args.context },
        dockerfile: { location: args.dockerfile },
        target: args.target,
        buildArgs: args.buildArgs,
        secrets: args.secrets === undefined ? undefined : pulumi.secret(args.secrets),
        // Secrets fetch dependencies; a rotated token alone must not rebuild and re-push.
        ignoreSecretsInDiffCalculation: secretIds,
        cacheFrom: args.cacheFrom,
        cacheTo: args.cacheTo,
        // The password is a secret, so the whole list is one.
        registries: pulumi
          .all([
            args.registryServer,
            args.registryUsername,
            pulumi.secret(args.registryPassword ?? ""),
          ])
          .apply(([address, username, password]) =>
            username === undefined ? [] : [{ address, username, password }],
          ),
        buildOnPreview: args.buildOnPreview ?? false,
        builder: args.builder === undefined ? undefined : { name: args.builder },
      },
      { parent: this, retainOnDelete: true },
    );

    this.repository = pulumi.output(args.repository);
    this.tags = image.tags.apply((tags) => tags ?? []);
    this.digest = image.digest;
    this.ref = pulumi.interpolate`${this.repository}@${image.digest}`;
    this.platforms = pulumi.output(args.platforms).apply((platforms) => [...platforms]);

    this.registerOutputs({
      repository: this.repository,
      tags: this.tags,
      digest: this.digest,
      ref: this.ref,
      platforms: this.platforms,
    });
  }
}
