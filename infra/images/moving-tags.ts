import * as pulumi from "@pulumi/pulumi";
import { MOVE_TAGS_AUTH_ENV } from "../../src/images";
import { localScript, secretEnvironment } from "../local-script";

/** Inputs of MovingTags: which digest the moving tags of an image point at. */
export interface MovingTagsArgs {
  /** `repository@sha256:…` the tags move to; a new digest moves them again. */
  ref: pulumi.Input<string>;
  /** Bare tags to move (`dev`, `latest`, `1.2`, …). */
  tags: pulumi.Input<pulumi.Input<string>[]>;
  /** The script from `moveTagsScript` (for that ref and those tags); it holds no secret. */
  script: pulumi.Input<string>;
  /**
   * What each host deployment running this image reports after its health gate (its `ref`):
   * the tags move only once all of these are known, and move again when one changes.
   */
  healthy?: pulumi.Input<pulumi.Input<string>[]>;
  /** Registry `user:password` in base64, as docker config's `auth`; a secret. */
  registryAuth?: pulumi.Input<string>;
}

/**
 * Points an image's moving tags at a new digest in the registry, on the machine that runs
 * `pulumi up`. The program makes it depend on every host deployment of the stack, so the
 * tags move only after each host runs the new digest and passed its health check; a failed
 * deploy leaves them on the previous release.
 */
export class MovingTags extends pulumi.ComponentResource {
  /** The digest reference the tags point at. */
  public readonly ref: pulumi.Output<string>;
  /** The tags moved. */
  public readonly tags: pulumi.Output<string[]>;

  constructor(name: string, args: MovingTagsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:image:MovingTags", name, {}, opts);
    const environment = secretEnvironment({ [MOVE_TAGS_AUTH_ENV]: args.registryAuth });
    localScript(
      `${name}-tags`,
      { script: args.script, environment, triggers: [args.ref, args.tags, args.healthy ?? []] },
      { parent: this },
    );
    this.ref = pulumi.output(args.ref);
    this.tags = pulumi.output(args.tags).apply((tags) => [...tags]);
    this.registerOutputs({ ref: this.ref, tags: this.tags });
  }
}
