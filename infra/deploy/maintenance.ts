import * as pulumi from "@pulumi/pulumi";
import type { SlipwayConfig } from "../../src/config";
import {
  BOOTSTRAP_COMMAND,
  bootstrapStdin,
  DEFAULT_MAINTENANCE_MESSAGE,
  DEFAULT_STATE_ROOT,
  maintenanceScript,
} from "../../src/deploy";
import { connectionArgs } from "./connection";
import { childOptions, hostCommand, type HostConnectionArgs } from "./host-deployment";

/** Inputs of a HostMaintenance: one routed service in maintenance on one host. */
export interface HostMaintenanceArgs extends HostConnectionArgs {
  /** The service whose routes answer the page. */
  service: string;
  /** The edge the service is routed through. */
  edge: string;
  /** The page's message. */
  message: string;
  /** Seconds clients are told to wait (`Retry-After`). */
  retryAfter: number;
  stateRoot?: string;
}

/**
 * Keeps a service in maintenance on a host while `slipway:maintenance` says so: creating
 * (or changing) it switches the page on, deleting it (the entry removed) switches it off
 * (src/deploy/maintenance). One command, `<name>-switch`.
 */
export class HostMaintenance extends pulumi.ComponentResource {
  constructor(name: string, args: HostMaintenanceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:deploy:HostMaintenance", name, {}, opts);
    const where = {
      host: args.host,
      stack: pulumi.getStack(),
      service: args.service,
      stateRoot: args.stateRoot ?? DEFAULT_STATE_ROOT,
      edge: args.edge,
    };
    const on = maintenanceScript({
      ...where,
      mode: { kind: "on", message: args.message, retryAfter: args.retryAfter },
    });
    hostCommand(
      `${name}-switch`,
      args,
      {
        create: BOOTSTRAP_COMMAND,
        update: BOOTSTRAP_COMMAND,
        delete: maintenanceScript({ ...where, mode: { kind: "off" } }),
        // A changed page or Retry-After is an update (the on script again), never a
        // replacement: a replacement would run the old one's delete (off) after the new on.
        stdin: bootstrapStdin(on),
      },
      childOptions(this, opts),
    );
    this.registerOutputs({});
  }
}

/**
 * A HostMaintenance for each host of each service `slipway:maintenance` names, after the
 * service's deployment there (its routes, which read the switch, are installed by then).
 */
export function declareMaintenance(
  config: SlipwayConfig,
  deployments: Readonly<Record<string, Readonly<Record<string, pulumi.Resource>>>>,
  opts?: pulumi.ComponentResourceOptions,
): HostMaintenance[] {
  return Object.entries(config.maintenance).flatMap(([name, setting]) => {
    const service = config.services.find((candidate) => candidate.name === name);
    if (service === undefined) {
      return [];
    }
    return config.hosts
      .map((host, index) => ({ host, index }))
      .filter(({ host }) => service.hosts.includes(host.name))
      .map(({ host, index }) => {
        const deployment = deployments[name]?.[host.name];
        return new HostMaintenance(
          `${name}-${host.name}-maintenance`,
          {
            ...connectionArgs(host, index),
            service: name,
            edge: config.edge.name,
            message: setting.message ?? DEFAULT_MAINTENANCE_MESSAGE,
            retryAfter: setting.retryAfter,
          },
          pulumi.mergeOptions(opts, deployment === undefined ? {} : { dependsOn: [deployment] }),
        );
      });
  });
}
