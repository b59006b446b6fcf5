import * as pulumi from "@pulumi/pulumi";
import type { ReleaseCommandConfig } from "../../src/config";
import { releaseCommandScript } from "../../src/deploy";
import {
  childOptions,
  hostDefinition,
  scriptCommand,
  type HostDeploymentArgs,
} from "./host-deployment";

/** Inputs of a ReleaseCommand: the service as its first host runs it, and the command. */
export interface ReleaseCommandArgs extends HostDeploymentArgs {
  /** The command and its timeout (`slipway:services.<name>.release`). */
  release: ReleaseCommandConfig;
  /** The ledger's release of the stack that already ran this digest: then nothing runs. */
  ranIn?: pulumi.Input<number | undefined>;
}

/**
 * A service's release command (e.g. a migration), run once per new digest on one host before
 * any host switches: the service's host deployments depend on it, so a failure stops the
 * release with every host on the old one. One command, `<name>-run`: its trigger is the
 * release's ref, so a new digest replaces it (which runs it) and nothing else does; the
 * script itself skips a digest that succeeded on the host before, and one the ledger ran.
 */
export class ReleaseCommand extends pulumi.ComponentResource {
  /** The ref the command ran for (or found already done), known once it succeeded. */
  public readonly ref: pulumi.Output<string>;

  constructor(name: string, args: ReleaseCommandArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:deploy:ReleaseCommand", name, {}, opts);
    const { definition, payload } = hostDefinition(args);
    const script = pulumi.all([definition, args.ranIn]).apply(([def, ranIn]) =>
      releaseCommandScript({
        def,
        release: args.release,
        ...(ranIn === undefined ? {} : { ranIn }),
      }),
    );
    const run = scriptCommand(
      `${name}-run`,
      args,
      script,
      payload,
      [args.ref],
      childOptions(this, opts),
    );
    this.ref = pulumi.all([run.id, args.ref]).apply(([, ref]) => ref);
    this.registerOutputs({ ref: this.ref });
  }
}
