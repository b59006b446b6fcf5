import * as pulumi from "@pulumi/pulumi";
import type { SlipwayConfig } from "../../src/config";
import { HostDeployment } from "./host-deployment";
import { connectionArgs } from "./connection";

/** The images a service release runs, as the stack's image outputs give them. */
export interface ServiceRelease {
  /** `repository@sha256:…` of the service's image. */
  readonly ref: pulumi.Input<string>;
  /** Source revision the image was built from; recorded in each host's release.json. */
  readonly revision?: pulumi.Input<string | undefined>;
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

/**
 * Deploys the stack's service to every configured host, `service.batchSize` hosts at a time:
 * each batch depends on the whole previous batch, so a host that fails stops the rollout.
 * Returns the deployments by host name (empty when the stack has no service or no hosts).
 */
export function deployService(
  config: SlipwayConfig,
  release: ServiceRelease,
  opts?: pulumi.ComponentResourceOptions,
  /** Per host name: what that host's deployment waits for first (its edge). */
  hostDependencies: Readonly<Record<string, pulumi.Resource[]>> = {},
): Record<string, HostDeployment> {
  const service = config.service;
  if (service === undefined) {
    return {};
  }
  const registry = config.registry;
  const deployments: Record<string, HostDeployment> = {};
  let previous: HostDeployment[] = [];
  const indexed = config.hosts.map((host, index) => ({ host, index }));
  for (const batch of rolloutBatches(indexed, service.batchSize)) {
    const current = batch.map(({ host, index }) => {
      return new HostDeployment(
        `${service.name}-${host.name}`,
        {
          ...connectionArgs(host, index),
          service: service.name,
          image: service.image,
          ref: release.ref,
          ...(release.revision === undefined ? {} : { revision: release.revision }),
          edge: config.edge.name,
          containerPort: service.containerPort,
          routes: service.routes.map((route) => ({ ...route })),
          drainSeconds: service.drainSeconds,
          healthPath: service.healthPath,
          healthTimeoutSeconds: service.healthTimeoutSeconds,
          keepReleases: service.keepReleases,
          env: service.env,
          secretEnv: pulumi.secret(
            Object.fromEntries(
              Object.entries(service.secretEnv).map(([key, value]) => [key, value.reveal()]),
            ),
          ),
          registryServer: registry.server,
          ...(registry.username === undefined ? {} : { registryUsername: registry.username }),
          ...(registry.password === undefined
            ? {}
            : { registryPassword: pulumi.secret(registry.password.reveal()) }),
        },
        pulumi.mergeOptions(opts, {
          dependsOn: [...previous, ...(hostDependencies[host.name] ?? [])],
        }),
      );
    });
    batch.forEach(({ host }, index) => {
      deployments[host.name] = current[index]!;
    });
    previous = current;
  }
  return deployments;
}
