/**
 * Slipway's automatic revert on Kubernetes (parity with the SSH hosts, which revert
 * themselves): when a Deployment's rollout is not ready within the health timeout, its
 * previous ReplicaSet's template is restored (what `kubectl rollout undo` does) and the
 * reason the new pods were not ready is returned for the failed update's message.
 */
import { KubeApiError, KubeClient, listPath } from "./client";
import {
  notReadyCause,
  podsOfImage,
  undoPatch,
  rolloutState,
  type DeploymentView,
  type EventView,
  type PodView,
  type ReplicaSetView,
} from "./rollout";
import { labelSelector } from "./model";

interface RevertRequest {
  readonly namespace: string;
  readonly name: string;
  /** The image of the release that did not become ready. */
  readonly image: string;
}

interface RevertResult {
  /** Why the new pods were not ready (one line). */
  readonly cause: string;
  /** The revision restored; undefined when there was none (a first release). */
  readonly restoredRevision?: number;
  /** The image the Deployment runs again. */
  readonly restoredImage?: string;
}

interface List<T> {
  readonly items: readonly T[];
}

async function revertRollout(client: KubeClient, request: RevertRequest): Promise<RevertResult> {
  const { namespace, name } = request;
  const selector = labelSelector({ name });
  const [pods, events, replicaSets] = await Promise.all([
    client.get<List<PodView>>(listPath(namespace, "pods", selector)),
    client.get<List<EventView>>(listPath(namespace, "events")),
    client.get<List<ReplicaSetView>>(listPath(namespace, "replicasets", selector, "apps/v1")),
  ]);
  const fresh = podsOfImage(pods.items, request.image);
  const cause = notReadyCause(fresh, events.items);
  const undo = undoPatch(name, replicaSets.items);
  if (undo === undefined) {
    return { cause };
  }
  const restored = await client.jsonPatch<{
    spec?: { template?: { spec?: { containers?: readonly { image?: string }[] } } };
  }>(deploymentPath(namespace, name), undo.patch);
  const image = restored.spec?.template?.spec?.containers?.[0]?.image;
  return {
    cause,
    restoredRevision: undo.revision,
    ...(image === undefined ? {} : { restoredImage: image }),
  };
}

/** The message of a failed, reverted rollout. */
export function revertMessage(
  request: RevertRequest,
  timeoutSeconds: number,
  result: RevertResult,
): string {
  const what = `${request.namespace}/${request.name}: the release ${request.image} was not ready within ${timeoutSeconds} s`;
  const back =
    result.restoredImage === undefined
      ? "; there is no previous release to return to"
      : `; rolled back to ${result.restoredImage} (revision ${String(result.restoredRevision)})`;
  return `${what}${back}. Cause: ${result.cause}`;
}

function deploymentPath(namespace: string, name: string): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/${encodeURIComponent(name)}`;
}

/**
 * Waits for the Deployment's rollout to `image` to complete, at most `timeoutSeconds` once
 * the new template is applied (and as long again for the apply itself). When it does not,
 * undoes it and throws the reverted update's message naming the pods' cause.
 */
export async function guardRollout(
  client: KubeClient,
  request: RevertRequest,
  timeoutSeconds: number,
  pollMs = 1000,
): Promise<void> {
  const path = deploymentPath(request.namespace, request.name);
  const applyDeadline = Date.now() + timeoutSeconds * 1000;
  let readyDeadline: number | undefined;
  for (;;) {
    let deployment: DeploymentView | undefined;
    try {
      deployment = await client.get<DeploymentView>(path);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 404)) {
        throw error;
      }
    }
    const state = rolloutState(deployment, request.image);
    if (state === "complete") {
      return;
    }
    const now = Date.now();
    if (state === "progressing" && readyDeadline === undefined) {
      readyDeadline = now + timeoutSeconds * 1000;
    }
    if (readyDeadline === undefined ? now > applyDeadline : now > readyDeadline) {
      if (readyDeadline === undefined) {
        throw new Error(
          `${request.namespace}/${request.name}: the Deployment was not updated to ${request.image} within ${timeoutSeconds} s`,
        );
      }
      const result = await revertRollout(client, request);
      throw new Error(revertMessage(request, timeoutSeconds, result));
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
