import * as pulumi from "@pulumi/pulumi";
import { containerLimits } from "../../src/config";
import {
  accessoryDefinitionHash,
  accessoryRemoveScript,
  accessoryScript,
  DEFAULT_STATE_ROOT,
  renderPayload,
  stackNetwork,
  type AccessoryDefinition,
  type AccessoryPortDefinition,
} from "../../src/deploy";
import {
  after,
  childOptions,
  hostCommand,
  scriptCommand,
  type HostConnectionArgs,
} from "./host-deployment";

/** Inputs of a HostAccessory: one accessory on one host. */
export interface HostAccessoryArgs extends HostConnectionArgs {
  /** The accessory's name: its alias on the stack's network. */
  name: string;
  /** The stack's network (`slipway-<stack>` when absent); it prefixes the container and volumes. */
  network?: string;
  /** Name in `slipway:images`, or the pinned reference; recorded as a label. */
  image: pulumi.Input<string>;
  /** `repository@sha256:…` to run. */
  ref: pulumi.Input<string>;
  /** Replaces the image's CMD. */
  command?: pulumi.Input<string[]>;
  /** Plain environment variables. */
  env?: pulumi.Input<Record<string, string>>;
  /** Secret environment variables; over stdin into a 0600 env file, never in the script. */
  secretEnv?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Named volumes: volume name → mount path. */
  volumes?: pulumi.Input<Record<string, string>>;
  /** Ports published on the host. */
  ports?: pulumi.Input<AccessoryPortDefinition[]>;
  /** Memory limit, e.g. `512m`. */
  memory?: pulumi.Input<string>;
  /** CPU limit. */
  cpus?: pulumi.Input<number>;
  /** Runs in the container and exits 0 when healthy; the image's HEALTHCHECK when absent. */
  healthCommand?: pulumi.Input<string[]>;
  /** Seconds it may take to become healthy. */
  healthTimeoutSeconds: pulumi.Input<number>;
  /** `pulumi destroy` removes its volumes too. */
  deleteVolumesOnDestroy: pulumi.Input<boolean>;
  registryServer?: pulumi.Input<string>;
  registryUsername?: pulumi.Input<string>;
  registryPassword?: pulumi.Input<string>;
  stateRoot?: pulumi.Input<string>;
}

/**
 * An accessory on one host (see src/deploy/accessory-script). Two commands, like a
 * HostDeployment: `<name>-run` (re)starts it when its definition changed (triggers: the
 * definition's hash), `<name>-container` only removes it, on delete.
 */
export class HostAccessory extends pulumi.ComponentResource {
  /** The reference it runs, known once it is healthy on the host. */
  public readonly ref: pulumi.Output<string>;

  constructor(name: string, args: HostAccessoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:deploy:HostAccessory", name, {}, opts);
    const stack = pulumi.getStack();
    const network = args.network ?? stackNetwork(stack);
    const stateRoot = pulumi.output(args.stateRoot ?? DEFAULT_STATE_ROOT);
    const secretEnv = pulumi.output(args.secretEnv ?? {});
    const secretEnvNames = pulumi.unsecret(secretEnv.apply((env) => Object.keys(env).sort()));
    const hasPassword = pulumi.unsecret(
      pulumi.output(args.registryPassword).apply((password) => password !== undefined),
    );
    const definition: pulumi.Output<AccessoryDefinition> = pulumi
      .output({
        stateRoot,
        image: args.image,
        ref: args.ref,
        command: args.command ?? [],
        env: args.env ?? {},
        secretEnvNames,
        volumes: args.volumes ?? {},
        ports: args.ports ?? [],
        memory: args.memory,
        cpus: args.cpus,
        healthCommand: args.healthCommand,
        healthTimeoutSeconds: args.healthTimeoutSeconds,
        server: args.registryServer,
        username: args.registryUsername,
        hasPassword,
      })
      .apply((values): AccessoryDefinition => ({
        host: args.host,
        stack,
        name: args.name,
        stateRoot: values.stateRoot,
        network,
        image: values.image,
        ref: values.ref,
        command: values.command,
        env: values.env,
        secretEnvNames: values.secretEnvNames,
        volumes: values.volumes,
        ports: values.ports,
        ...containerLimits(values),
        healthTimeoutSeconds: values.healthTimeoutSeconds,
        ...(values.server !== undefined && values.username !== undefined && values.hasPassword
          ? { registryLogin: { server: values.server, username: values.username } }
          : {}),
      }));
    const payload = pulumi.secret(
      pulumi.all([secretEnv, args.registryPassword, definition]).apply(([env, password, def]) =>
        renderPayload({
          ...(def.registryLogin === undefined || password === undefined
            ? {}
            : { registryPassword: password }),
          secretEnv: env,
        }),
      ),
    );
    const childOpts = childOptions(this, opts);
    const removal = pulumi
      .all([definition, args.deleteVolumesOnDestroy])
      .apply(([def, deleteVolumes]) =>
        accessoryRemoveScript({
          host: def.host,
          stack: def.stack,
          name: def.name,
          stateRoot: def.stateRoot,
          network: def.network,
          volumes: Object.keys(def.volumes),
          deleteVolumes,
        }),
      );
    const container = hostCommand(
      `${name}-container`,
      args,
      { delete: removal, triggers: [args.name, stateRoot] },
      { ...childOpts, deleteBeforeReplace: true },
    );
    const run = scriptCommand(
      `${name}-run`,
      args,
      definition.apply(accessoryScript),
      payload,
      pulumi
        .all([definition.apply(accessoryDefinitionHash), container.id])
        .apply(([hash, id]) => [hash, id]),
      after(childOpts, container),
    );
    this.ref = pulumi.all([run.id, args.ref]).apply(([, ref]) => ref);
    this.registerOutputs({ ref: this.ref });
  }
}
