/**
 * A service of an SSH stack as the host scripts of the CLI see it: one instance per replica
 * (`<name>`, then `<name>.<n>`), each with its own state directory and upstream on the host.
 */
import type { ServiceSpec, SlipwayConfig } from "../config";
import { replicaName, type ProbeDefinition } from "../deploy";

/** A service's instances on a host: the service itself, then `<name>.<n>` per replica. */
export function instancesOf(service: ServiceSpec): { service: ServiceSpec; instance: string }[] {
  return Array.from({ length: service.replicas }, (_, i) => ({
    service,
    instance: replicaName(service.name, i + 1),
  }));
}

/** Where one instance lives on `host` and how it is checked: what the probe and switch need. */
export function instanceOnHost(
  config: Pick<SlipwayConfig, "stack" | "edge">,
  stateRoot: string,
  host: string,
  service: ServiceSpec,
  instance: string,
): ProbeDefinition {
  return {
    host,
    stack: config.stack,
    service: instance,
    stateRoot,
    edge: config.edge.name,
    containerPort: service.containerPort,
    healthPath: service.healthPath,
    routes: service.routes,
  };
}
