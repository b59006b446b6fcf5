/**
 * A workload's Docker-style limits (`memory: 512m`, `cpus: 0.5`, as the SSH target takes them)
 * as Kubernetes resources, over the cluster's defaults (`slipway:kubernetes.cpu`, `memory`).
 */
import type { KubeService } from "./model";

const DOCKER_UNITS: Record<string, string> = { b: "", k: "Ki", m: "Mi", g: "Gi" };

/** Docker's memory size (`512m`, `1.5g`: binary units) as a Kubernetes quantity (`512Mi`). */
export function memoryQuantity(docker: string): string {
  const match = /^(\d+(?:\.\d+)?)([bkmg])$/i.exec(docker);
  if (match === null) {
    throw new Error(`${JSON.stringify(docker)} is not a memory size like 512m or 1g`);
  }
  return `${match[1]}${DOCKER_UNITS[match[2]!.toLowerCase()]}`;
}

/** Millicores of a CPU quantity (`100m`, `0.5`, `2`). */
function millicores(quantity: string): number {
  return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}

/**
 * Requests and limits of one workload. A workload's own `memory` is its request and limit (a
 * pod is never placed where its limit does not fit); its own `cpus` is its CPU limit, and the
 * request is the cluster default or the limit, whichever is lower.
 */
export function workloadResources(
  workload: { readonly memory?: string; readonly cpus?: number },
  defaults: {
    readonly cpu: string;
    readonly cpuLimit?: string;
    readonly memory: string;
    readonly memoryLimit?: string;
  },
): Pick<KubeService, "cpu" | "memory"> {
  const memory =
    workload.memory === undefined
      ? { request: defaults.memory, limit: defaults.memoryLimit ?? defaults.memory }
      : { request: memoryQuantity(workload.memory), limit: memoryQuantity(workload.memory) };
  if (workload.cpus === undefined) {
    return {
      cpu: {
        request: defaults.cpu,
        ...(defaults.cpuLimit === undefined ? {} : { limit: defaults.cpuLimit }),
      },
      memory,
    };
  }
  const limit = `${Math.round(workload.cpus * 1000)}m`;
  return {
    cpu: { request: millicores(defaults.cpu) < millicores(limit) ? defaults.cpu : limit, limit },
    memory,
  };
}
