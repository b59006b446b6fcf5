import type { SlipwayConfig } from "../config";
import {
  ambientEndpoint,
  endpointOf,
  kubeconfigOf,
  labelSelector,
  podImages,
  type PodView,
} from "../kubernetes";
import { KubeClient, listPath } from "../kubernetes/client";
import type { AccessoryStatus, HostStatus } from "./status-model";
import { shortDigest } from "./table";

/**
 * What the pods of a Kubernetes stack run, one row per pod: the digest the runtime reports for
 * the container (its imageID, what was really pulled) against the stack's pin. A pod not ready
 * or on another digest is DRIFT; no pod at all is NO RELEASE; an API that does not answer is
 * UNREACHABLE.
 */
export async function probePods(
  config: SlipwayConfig,
  service: { readonly name: string },
  expected: string | undefined,
): Promise<HostStatus[]> {
  const kube = config.kubernetes!;
  const where = `${kube.namespace}/${service.name}`;
  let pods: readonly PodView[];
  try {
    const text = kubeconfigOf(config);
    const endpoint =
      text === undefined
        ? ambientEndpoint(process.env, kube.context)
        : endpointOf(text, kube.context);
    const list = await new KubeClient(endpoint).get<{ items: PodView[] }>(
      listPath(kube.namespace, "pods", labelSelector(service)),
    );
    pods = list.items;
  } catch (error) {
    return [{ host: where, state: "unreachable", error: (error as Error).message }];
  }
  const statuses = podImages(pods, service.name, expected ?? "");
  if (statuses.length === 0) {
    return [{ host: where, state: "no-release" }];
  }
  return statuses.map((pod) => {
    const reasons = [
      ...(pod.running === undefined
        ? ["no image running yet"]
        : expected !== undefined && pod.running !== expected
          ? [`runs ${shortDigest(pod.running)}`]
          : []),
      ...(pod.ready ? [] : ["not ready"]),
    ];
    return {
      host: `pod/${pod.pod}`,
      state: reasons.length === 0 ? "in-sync" : "drift",
      ...(pod.running === undefined ? {} : { running: pod.running }),
      ...(reasons.length === 0 ? {} : { error: reasons.join("; ") }),
    };
  });
}

/**
 * An accessory's StatefulSet pod, judged like a service's pods (its container is named after
 * the accessory): in sync is healthy, no pod is missing.
 */
export async function probeAccessoryPods(
  config: SlipwayConfig,
  accessory: { readonly name: string },
  expected: string | undefined,
): Promise<AccessoryStatus[]> {
  return (await probePods(config, accessory, expected)).map((pod) => {
    const state = ACCESSORY_STATE[pod.state as keyof typeof ACCESSORY_STATE];
    return {
      accessory: accessory.name,
      host: pod.host,
      state: state ?? "drift",
      ...(pod.running === undefined ? {} : { running: pod.running }),
      ...(pod.error === undefined ? {} : { error: pod.error }),
    };
  });
}

/** The pod states probePods gives, as an accessory's. */
const ACCESSORY_STATE = {
  "in-sync": "healthy",
  drift: "drift",
  "no-release": "missing",
  unreachable: "unreachable",
} as const satisfies Record<string, AccessoryStatus["state"]>;
