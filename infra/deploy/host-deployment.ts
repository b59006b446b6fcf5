import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { Transport } from "../../src/config";
import { containerLimits, type RolloutConfig, type RouteConfig } from "../../src/config";
import {
  BOOTSTRAP_COMMAND,
  bootstrapStdin,
  DEFAULT_STATE_ROOT,
  definitionHash,
  deployScript,
  renderPayload,
  stackNetwork,
  stopScript,
  type HostService,
  type ServiceDefinition,
} from "../../src/deploy";

/** Failed SSH dials before a command gives up (the provider's default, 10, takes minutes). */
export const DIAL_ERROR_LIMIT = 4;
/** Seconds per SSH dial attempt. */
export const PER_DIAL_TIMEOUT_SECONDS = 15;

/**
 * What Pulumi shows while a script runs: its stdout, which carries only Slipway's own progress
 * lines (digests, container names, timings). Docker's and the service's output goes to stderr
 * (redacted of secret values by the script) and reaches Pulumi only inside a failure message.
 */
export const SCRIPT_LOGGING = "stdout" as const;

/** How a host is reached: shared by every resource that runs scripts on hosts. */
export interface HostConnectionArgs {
  /** `ssh` (over SSH) or `local` (this machine, the same script without SSH). Not an Output: it decides the child resources' types. */
  transport: Transport;
  /** Host name from config: in messages, the lock owner line and the outputs. */
  host: string;
  /** Address to SSH to (ssh transport). */
  address?: pulumi.Input<string>;
  /** SSH port; 22 when absent. */
  port?: pulumi.Input<number>;
  /** SSH user; needs Docker access and write access to the state root. */
  user?: pulumi.Input<string>;
  /** SSH private key (PEM or OpenSSH text); always handled as a secret. */
  privateKey?: pulumi.Input<string>;
  /** The host's public key (`ssh-ed25519 AAAA…`): pins its identity. */
  hostKey?: pulumi.Input<string>;
  /** Bastion to jump through: its address. */
  bastionAddress?: pulumi.Input<string>;
  /** Bastion SSH port; 22 when absent. */
  bastionPort?: pulumi.Input<number>;
  /** Bastion SSH user. */
  bastionUser?: pulumi.Input<string>;
  /** Bastion private key; always handled as a secret. */
  bastionPrivateKey?: pulumi.Input<string>;
  /** Bastion public key: pins its identity. */
  bastionHostKey?: pulumi.Input<string>;
}

/** Inputs of a HostDeployment: one service on one host. */
export interface HostDeploymentArgs extends HostConnectionArgs {
  /** Service name: container, proxy, network and state directory names on the host. */
  service: pulumi.Input<string>;
  /** Name of the image in `slipway:images`, recorded in release.json. */
  image: pulumi.Input<string>;
  /** `repository@sha256:…` of the release to run. */
  ref: pulumi.Input<string>;
  /** Source revision of the release (the commit it was built from), recorded on the host. */
  revision?: pulumi.Input<string | undefined>;
  /** Name of the host's edge proxy the service is routed through. */
  edge: pulumi.Input<string>;
  /** Port the service listens on inside its container. */
  containerPort: pulumi.Input<number>;
  /** How the edge routes requests to the service; empty: a worker. */
  routes: pulumi.Input<RouteConfig[]>;
  /** Seconds the previous release keeps serving its requests after the switch. */
  drainSeconds: pulumi.Input<number>;
  /** Path answering 2xx when a release is healthy. */
  healthPath: pulumi.Input<string>;
  /** Seconds a new release may take to become healthy before it is removed again. */
  healthTimeoutSeconds: pulumi.Input<number>;
  /** Previous releases kept (stopped) on the host for a rollback without pull. */
  keepReleases: pulumi.Input<number>;
  /** Seconds the replaced release stays running without traffic, for an instant rollback; 0: off. */
  rollbackWindowSeconds: pulumi.Input<number>;
  /** Plain environment variables of the service. */
  env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Secret environment variables; delivered over stdin into a 0600 env file, never in the script. */
  secretEnv?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Registry to log in to before pulling from it; no login when absent. */
  registryServer?: pulumi.Input<string>;
  /** Registry user; login only when user and password are both set. */
  registryUsername?: pulumi.Input<string>;
  /** Registry password or token; delivered over stdin, piped to `docker login --password-stdin`. */
  registryPassword?: pulumi.Input<string>;
  /** State root on the host (lock, release.json, the edge's state); `/var/lib/slipway` when absent. */
  stateRoot?: pulumi.Input<string>;
  /** The stack's network on the host (`slipway-<stack>` when absent): accessories and services by name. */
  network?: pulumi.Input<string>;
  /** Replaces the image's CMD; the image's own when absent. */
  command?: pulumi.Input<pulumi.Input<string>[]>;
  /** Memory limit, e.g. `512m`. */
  memory?: pulumi.Input<string>;
  /** CPU limit, e.g. 0.5. */
  cpus?: pulumi.Input<number>;
  /** A command run in the container that exits 0 when healthy (workers); the image's HEALTHCHECK when absent. */
  healthCommand?: pulumi.Input<pulumi.Input<string>[]>;
  /** A replica: the service's name on the stack network (`service` is then `<name>.<n>`). */
  alias?: string;
  /** Where the service is configured (`slipway:services.<name>`), for the fixes messages name. */
  configPath?: string;
  /** The replicas the routes list (the first replica's deployment); `[]`: installs no routes. */
  routeInstances?: string[];
  /** How a new release takes over (`rollout`): a canary walks its steps in the deploy script. */
  rollout?: RolloutConfig;
}

/**
 * A service on one host, deployed by digest with a health-gated, zero-downtime cutover.
 *
 * Two commands, over SSH (`remote.Command`) or on this machine (`local.Command`):
 * - `<name>-release` runs the deploy script on create and update; `triggers` are the image
 *   ref and the hash of the rendered service definition, so an unchanged release runs
 *   nothing. A trigger change *replaces* this command (the SDK sets `replaceOnChanges` on
 *   triggers), which is why it has no `delete`: the replaced release has been retired by
 *   the new one's script already.
 * - `<name>-service` has only a `delete`, the stop script: destroying the stack (or the host)
 *   stops the service cleanly, and only then. Renaming the service replaces it, deleting first.
 */
export class HostDeployment extends pulumi.ComponentResource {
  /** Host name from config. */
  public readonly host: pulumi.Output<string>;
  /** The ref running on the host, known once the deploy script succeeded there. */
  public readonly ref: pulumi.Output<string>;

  constructor(name: string, args: HostDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:deploy:HostDeployment", name, {}, opts);

    const { definition, payload, stateRoot, hostService } = hostDefinition(args);
    const script = definition.apply(deployScript);
    const triggersBase = pulumi.all([args.ref, definition.apply(definitionHash)]);
    const network = pulumi.output(args.network ?? stackNetwork(pulumi.getStack()));
    const stop = pulumi
      .all([hostService, network])
      .apply(([service, name]) => stopScript({ ...service, network: name }));
    // The component's own dependencies (the previous batch, the host's edge) hold its
    // commands too: a component's dependsOn does not reach its children by itself.
    const childOpts = childOptions(this, opts);

    // Only stops the service, on delete (see the class comment). Its triggers are what
    // identifies the service on the host: renaming it replaces this, deleting first.
    const service = hostCommand(
      `${name}-service`,
      args,
      { delete: stop, triggers: [args.service, stateRoot, args.edge] },
      { ...childOpts, deleteBeforeReplace: true },
    );
    const release = scriptCommand(
      `${name}-release`,
      args,
      script,
      payload,
      // The service command's id too: replacing it (`pulumi up --replace`) runs the stop
      // script, so the release must then run again.
      pulumi.all([triggersBase, service.id]).apply(([base, id]) => [...base, id]),
      after(childOpts, service),
    );

    this.host = pulumi.output(args.host);
    this.ref = pulumi.all([release.id, args.ref]).apply(([, ref]) => ref);
    this.registerOutputs({ host: this.host, ref: this.ref });
  }
}

/** What a service's host commands are made of: its definition (no secret), and the payload. */
export interface HostDefinition {
  readonly definition: pulumi.Output<ServiceDefinition>;
  /** The secret env and registry password, rendered for stdin (a secret). */
  readonly payload: pulumi.Output<string>;
  readonly stateRoot: pulumi.Output<string>;
  readonly hostService: pulumi.Output<HostService>;
}

/**
 * The definition of a service on a host, and its payload: what the deploy script and the
 * release command script of that host are built from.
 */
export function hostDefinition(args: HostDeploymentArgs): HostDefinition {
  const stack = pulumi.getStack();
  const stateRoot = pulumi.output(args.stateRoot ?? DEFAULT_STATE_ROOT);
  const hostService = pulumi
    .all([args.service, stateRoot, args.edge])
    .apply(([service, root, edge]): HostService => ({
      host: args.host,
      stack,
      service,
      stateRoot: root,
      edge,
    }));

  // Which secrets exist is not secret; their values never reach the definition or the script.
  const secretEnv = pulumi.output(args.secretEnv ?? {});
  const secretEnvNames = pulumi.unsecret(secretEnv.apply((env) => Object.keys(env).sort()));
  const hasPassword = pulumi.unsecret(
    pulumi.output(args.registryPassword).apply((password) => password !== undefined),
  );
  const registryLogin = pulumi
    .all([args.registryServer, args.registryUsername, hasPassword])
    .apply(([server, username, password]) =>
      server !== undefined && username !== undefined && password ? { server, username } : undefined,
    );

  const definition: pulumi.Output<ServiceDefinition> = pulumi
    .output({
      service: hostService,
      image: args.image,
      ref: args.ref,
      revision: args.revision,
      containerPort: args.containerPort,
      routes: args.routes,
      drainSeconds: args.drainSeconds,
      healthPath: args.healthPath,
      healthTimeoutSeconds: args.healthTimeoutSeconds,
      keepReleases: args.keepReleases,
      rollbackWindowSeconds: args.rollbackWindowSeconds,
      env: args.env ?? {},
      secretEnvNames,
      registryLogin,
      network: args.network ?? stackNetwork(stack),
      command: args.command ?? [],
      memory: args.memory,
      cpus: args.cpus,
      healthCommand: args.healthCommand,
    })
    .apply((values): ServiceDefinition => ({
      ...values.service,
      image: values.image,
      ref: values.ref,
      ...(values.revision === undefined ? {} : { revision: values.revision }),
      containerPort: values.containerPort,
      routes: values.routes,
      drainSeconds: values.drainSeconds,
      healthPath: values.healthPath,
      healthTimeoutSeconds: values.healthTimeoutSeconds,
      keepReleases: values.keepReleases,
      rollbackWindowSeconds: values.rollbackWindowSeconds,
      env: values.env,
      secretEnvNames: values.secretEnvNames,
      ...(values.registryLogin === undefined ? {} : { registryLogin: values.registryLogin }),
      network: values.network,
      command: values.command,
      ...containerLimits(values),
      ...(args.alias === undefined ? {} : { alias: args.alias }),
      ...(args.routeInstances === undefined ? {} : { routeInstances: args.routeInstances }),
      ...(args.configPath === undefined ? {} : { configPath: args.configPath }),
      ...(args.rollout === undefined ? {} : { rollout: args.rollout }),
    }));

  const payload = pulumi.secret(
    pulumi.all([secretEnv, args.registryPassword, registryLogin]).apply(([env, password, login]) =>
      renderPayload({
        ...(login === undefined || password === undefined ? {} : { registryPassword: password }),
        secretEnv: env,
        ...(args.configPath === undefined ? {} : { configPath: args.configPath }),
      }),
    ),
  );
  return { definition, payload, stateRoot, hostService };
}

/**
 * Options of a component's child commands: parented to it, and held by the component's own
 * dependencies (a component's dependsOn does not reach its children by itself).
 */
export function childOptions(
  parent: pulumi.Resource,
  opts: pulumi.ComponentResourceOptions | undefined,
): pulumi.CustomResourceOptions {
  return { parent, ...(opts?.dependsOn === undefined ? {} : { dependsOn: opts.dependsOn }) };
}

/** `options` that also wait for `first`: the command that must exist before this one. */
export function after(
  options: pulumi.CustomResourceOptions,
  first: pulumi.Resource,
): pulumi.CustomResourceOptions {
  return {
    ...options,
    dependsOn: pulumi
      .output(options.dependsOn ?? [])
      .apply((deps) => [...(Array.isArray(deps) ? deps : [deps]), first]),
  };
}

/** What a host command runs: scripts and their stdin; `triggers` re-run it (by replacement). */
export interface HostCommandInputs {
  create?: pulumi.Input<string>;
  update?: pulumi.Input<string>;
  delete?: pulumi.Input<string>;
  stdin?: pulumi.Input<string>;
  triggers?: pulumi.Input<unknown[]>;
}

/**
 * A generated script run on a host on create and update (BOOTSTRAP_COMMAND; the script and
 * its payload on stdin, a secret); `triggers` re-run it by replacement.
 */
export function scriptCommand(
  name: string,
  host: HostConnectionArgs,
  script: pulumi.Input<string>,
  payload: pulumi.Input<string>,
  triggers: pulumi.Input<unknown[]>,
  opts: pulumi.CustomResourceOptions,
): command.remote.Command | command.local.Command {
  return hostCommand(
    name,
    host,
    {
      create: BOOTSTRAP_COMMAND,
      update: BOOTSTRAP_COMMAND,
      stdin: pulumi.secret(
        pulumi.all([script, payload]).apply(([text, input]) => bootstrapStdin(text, input)),
      ),
      triggers,
    },
    opts,
  );
}

/**
 * A command on a host: `remote.Command` over SSH, or `local.Command` for this machine. Its
 * stderr is secret (a failing service's output may hold what the script redacts only
 * partly); its stdout carries Slipway's own progress lines.
 */
export function hostCommand(
  name: string,
  host: HostConnectionArgs,
  inputs: HostCommandInputs,
  opts: pulumi.CustomResourceOptions,
): command.remote.Command | command.local.Command {
  const common = { logging: SCRIPT_LOGGING, addPreviousOutputInEnv: false, ...inputs };
  const withSecrets = { ...opts, additionalSecretOutputs: ["stderr"] };
  switch (host.transport) {
    case "ssh":
      return new command.remote.Command(
        name,
        { connection: sshConnection(host), ...common },
        withSecrets,
      );
    case "local":
      return new command.local.Command(
        name,
        { interpreter: ["/bin/sh", "-c"], ...common },
        withSecrets,
      );
    default: {
      const never: never = host.transport;
      throw new Error(`unknown transport ${JSON.stringify(never)}`);
    }
  }
}

/** The SSH connection of a host; keys are secrets, dials are bounded. */
export function sshConnection(
  args: HostConnectionArgs,
): pulumi.Input<command.types.input.remote.ConnectionArgs> {
  if (args.address === undefined) {
    throw new Error(`host ${args.host}: the ssh transport needs an address`);
  }
  return {
    host: args.address,
    port: args.port ?? 22,
    user: args.user ?? "root",
    ...(args.privateKey === undefined ? {} : { privateKey: pulumi.secret(args.privateKey) }),
    ...(args.hostKey === undefined ? {} : { hostKey: args.hostKey }),
    dialErrorLimit: DIAL_ERROR_LIMIT,
    perDialTimeout: PER_DIAL_TIMEOUT_SECONDS,
    ...(args.bastionAddress === undefined
      ? {}
      : {
          proxy: {
            host: args.bastionAddress,
            port: args.bastionPort ?? 22,
            user: args.bastionUser ?? "root",
            ...(args.bastionPrivateKey === undefined
              ? {}
              : { privateKey: pulumi.secret(args.bastionPrivateKey) }),
            ...(args.bastionHostKey === undefined ? {} : { hostKey: args.bastionHostKey }),
            dialErrorLimit: DIAL_ERROR_LIMIT,
            perDialTimeout: PER_DIAL_TIMEOUT_SECONDS,
          },
        }),
  };
}
