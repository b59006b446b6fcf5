import * as pulumi from "@pulumi/pulumi";
import type { HostConfig, ServiceSpec, SlipwayConfig } from "../../src/config";
import { secretEnvOf } from "./keys";
import { HostAccessory } from "./accessory";
import { HostDeployment, type HostDeploymentArgs } from "./host-deployment";
import { replicaName } from "../../src/deploy";
import { connectionArgs } from "./connection";
import { ReleaseCommand } from "./release-command";

/** The images a service release runs, as the stack's image outputs give them. */
export interface ServiceRelease {
  /** `repository@sha256:…` of the service's image. */
  readonly ref: pulumi.Input<string>;
  /** Source revision the image was built from; recorded in each host's release.json. */
  readonly revision?: pulumi.Input<string | undefined>;
  /** The ledger's release of the stack that already ran this digest: no release command then. */
  readonly ranIn?: pulumi.Input<number | undefined>;
}

/** Hosts in rollout order, `size` at a time. */
export function rolloutBatches<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`batch size ${size} is not a whole number >= 1`);
  }
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    batches.push(items.slice(start, start + size));
  }
  return batches;
}

/** Registry inputs every host command that may pull takes. */
function registryArgs(config: SlipwayConfig) {
  const registry = config.registry;
  return {
    registryServer: registry.server,
    ...(registry.username === undefined ? {} : { registryUsername: registry.username }),
    ...(registry.password === undefined
      ? {}
      : { registryPassword: pulumi.secret(registry.password.reveal()) }),
  };
}

/**
 * Deploys one service to its hosts, `batchSize` hosts at a time: each batch depends on the
 * whole previous batch (and the first on `after`), so a host that fails stops the rollout.
 * Returns the deployments by host name.
 */
export function deployService(
  config: SlipwayConfig,
  service: ServiceSpec,
  release: ServiceRelease,
  opts?: pulumi.ComponentResourceOptions,
  /** Per host name: what that host's deployment waits for first (its edge, the accessories). */
  hostDependencies: Readonly<Record<string, pulumi.Resource[]>> = {},
  /** What the first batch waits for: the services before this one. */
  after: readonly pulumi.Resource[] = [],
): Record<string, HostDeployment> {
  const deployments: Record<string, HostDeployment> = {};
  let previous: pulumi.Resource[] = [...after];
  const indexed = config.hosts
    .map((host, index) => ({ host, index }))
    .filter(({ host }) => service.hosts.includes(host.name));
  const instances = Array.from({ length: service.replicas }, (_, i) =>
    replicaName(service.name, i + 1),
  );
  const args = (
    host: HostConfig,
    index: number,
    instance: string,
    first: boolean,
  ): HostDeploymentArgs => ({
    ...connectionArgs(host, index),
    service: instance,
    image: service.image,
    ref: release.ref,
    ...(release.revision === undefined ? {} : { revision: release.revision }),
    edge: config.edge.name,
    network: config.network,
    containerPort: service.containerPort,
    routes: service.routes.map((route) => ({ ...route })),
    drainSeconds: service.drainSeconds,
    healthPath: service.healthPath,
    healthTimeoutSeconds: service.healthTimeoutSeconds,
    keepReleases: service.keepReleases,
    rollbackWindowSeconds: service.rollbackWindowSeconds,
    env: { ...service.env },
    secretEnv: secretEnvOf(service.secretEnv, service.secretEnvFiles, service.configPath),
    configPath: service.configPath,
    command: [...service.command],
    ...(service.memory === undefined ? {} : { memory: service.memory }),
    ...(service.cpus === undefined ? {} : { cpus: service.cpus }),
    ...(service.healthCommand === undefined ? {} : { healthCommand: [...service.healthCommand] }),
    ...registryArgs(config),
    ...(service.rollout === undefined ? {} : { rollout: service.rollout }),
    // One replica: exactly the definition a single service always had.
    ...(service.replicas === 1
      ? {}
      : first
        ? { routeInstances: instances }
        : { alias: service.name, routeInstances: [] }),
  });
  // The release command runs on the first host, before the first batch: no host switches
  // to the new release before it succeeded.
  const firstHost = indexed[0];
  if (service.release !== undefined && firstHost !== undefined) {
    previous = [
      new ReleaseCommand(
        `${service.name}-release-command`,
        {
          ...args(firstHost.host, firstHost.index, service.name, true),
          release: service.release,
          ...(release.ranIn === undefined ? {} : { ranIn: release.ranIn }),
        },
        pulumi.mergeOptions(opts, {
          dependsOn: [...previous, ...(hostDependencies[firstHost.host.name] ?? [])],
        }),
      ),
    ];
  }
  for (const batch of rolloutBatches(indexed, service.batchSize)) {
    const current = batch.map(({ host, index }) => {
      const dependsOn = [...previous, ...(hostDependencies[host.name] ?? [])];
      // The later replicas first (each health-gated), then the first one, which lists them
      // all in the routes: the edge never routes to a replica that has not started.
      const later = instances
        .slice(1)
        .map(
          (instance) =>
            new HostDeployment(
              `${instance}-${host.name}`,
              args(host, index, instance, false),
              pulumi.mergeOptions(opts, { dependsOn }),
            ),
        );
      const first = new HostDeployment(
        `${service.name}-${host.name}`,
        args(host, index, service.name, true),
        pulumi.mergeOptions(opts, { dependsOn: [...dependsOn, ...later] }),
      );
      return { first, all: [first, ...later] };
    });
    batch.forEach(({ host }, index) => {
      deployments[host.name] = current[index]!.first;
    });
    previous = current.flatMap((entry) => entry.all);
  }
  return deployments;
}

/**
 * Every service of the stack, in declared order: a service starts on its first hosts only
 * once the one before it is healthy on all of its hosts, so a failure stops the services
 * after it (those before it stay on the new release: they were healthy, and declared order
 * says they do not depend on the later ones). Returns deployments by service, then host.
 */
export function deployServices(
  config: SlipwayConfig,
  releases: Readonly<Record<string, ServiceRelease>>,
  opts?: pulumi.ComponentResourceOptions,
  hostDependencies: Readonly<Record<string, pulumi.Resource[]>> = {},
): Record<string, Record<string, HostDeployment>> {
  const all: Record<string, Record<string, HostDeployment>> = {};
  let after: pulumi.Resource[] = [];
  for (const service of config.services) {
    const release = releases[service.name];
    if (release === undefined) {
      throw new Error(`service ${service.name}: no release (image ${service.image}) was declared`);
    }
    all[service.name] = deployService(config, service, release, opts, hostDependencies, after);
    const deployed = Object.values(all[service.name]!);
    if (deployed.length > 0) {
      after = deployed;
    }
  }
  return all;
}

/**
 * Every accessory of the stack on each of its hosts, all at once (they do not depend on
 * each other). Returns them by host name: what that host's services wait for.
 */
export function deployAccessories(
  config: SlipwayConfig,
  refs: Readonly<Record<string, pulumi.Input<string>>>,
  opts?: pulumi.ComponentResourceOptions,
  hostDependencies: Readonly<Record<string, pulumi.Resource[]>> = {},
): Record<string, Record<string, HostAccessory>> {
  const byAccessory: Record<string, Record<string, HostAccessory>> = {};
  for (const accessory of config.accessories) {
    const ref = refs[accessory.name];
    if (ref === undefined) {
      throw new Error(`accessory ${accessory.name}: no reference for ${accessory.image}`);
    }
    byAccessory[accessory.name] = {};
    config.hosts.forEach((host, index) => {
      if (!accessory.hosts.includes(host.name)) {
        return;
      }
      byAccessory[accessory.name]![host.name] = new HostAccessory(
        `${accessory.name}-${host.name}`,
        {
          ...connectionArgs(host, index),
          name: accessory.name,
          network: config.network,
          image: accessory.image,
          ref,
          command: [...accessory.command],
          env: { ...accessory.env },
          secretEnv: secretEnvOf(
            accessory.secretEnv,
            accessory.secretEnvFiles,
            `slipway:accessories.${accessory.name}`,
          ),
          volumes: { ...accessory.volumes },
          ports: accessory.ports.map((p) => ({
            containerPort: p.containerPort,
            hostPort: p.hostPort,
            bind: p.bind,
          })),
          ...(accessory.memory === undefined ? {} : { memory: accessory.memory }),
          ...(accessory.cpus === undefined ? {} : { cpus: accessory.cpus }),
          ...(accessory.healthCommand === undefined
            ? {}
            : { healthCommand: [...accessory.healthCommand] }),
          healthTimeoutSeconds: accessory.healthTimeoutSeconds,
          deleteVolumesOnDestroy: accessory.deleteVolumesOnDestroy,
          ...registryArgs(config),
        },
        pulumi.mergeOptions(opts, { dependsOn: [...(hostDependencies[host.name] ?? [])] }),
      );
    });
  }
  return byAccessory;
}
