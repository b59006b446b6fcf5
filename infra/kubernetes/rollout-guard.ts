import * as pulumi from "@pulumi/pulumi";
import { KubeClient, type KubeEndpoint } from "../../src/kubernetes/client";
import { guardRollout } from "../../src/kubernetes/revert";

/** The state of a rollout guard (inputs and outputs alike). */
export interface RolloutGuardState {
  readonly namespace: string;
  /** The Deployment. */
  readonly name: string;
  /** The release whose rollout is guarded. */
  readonly image: string;
  readonly timeoutSeconds: number;
  /** The API endpoint and credentials (a secret), read from the kubeconfig by the program. */
  readonly endpoint: KubeEndpoint;
}

async function guard(state: RolloutGuardState): Promise<void> {
  const client = new KubeClient(state.endpoint);
  await guardRollout(
    client,
    { namespace: state.namespace, name: state.name, image: state.image },
    state.timeoutSeconds,
  );
}

/**
 * Slipway's automatic revert, as a dynamic resource beside the Deployment: for each new image
 * it watches the rollout the provider awaits; when it is not complete within the health
 * timeout it restores the previous ReplicaSet's template and fails the update naming the pods'
 * cause. It owns nothing, so delete does nothing.
 */
export const rolloutGuardProvider: pulumi.dynamic.ResourceProvider = {
  diff(_id: string, olds: RolloutGuardState, news: RolloutGuardState) {
    const keys = ["namespace", "name", "image", "timeoutSeconds"] as const;
    return Promise.resolve({ changes: keys.some((key) => olds[key] !== news[key]), replaces: [] });
  },

  async create(inputs: RolloutGuardState) {
    await guard(inputs);
    return { id: `${inputs.namespace}/${inputs.name}`, outs: inputs };
  },

  async update(_id: string, _olds: RolloutGuardState, news: RolloutGuardState) {
    await guard(news);
    return { outs: news };
  },

  delete() {
    return Promise.resolve();
  },
};

export interface RolloutGuardArgs {
  namespace: pulumi.Input<string>;
  name: pulumi.Input<string>;
  image: pulumi.Input<string>;
  timeoutSeconds: pulumi.Input<number>;
  /** The API endpoint and credentials; always handled as a secret. */
  endpoint: pulumi.Input<KubeEndpoint>;
}

export class RolloutGuard extends pulumi.dynamic.Resource {
  constructor(name: string, args: RolloutGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      rolloutGuardProvider,
      name,
      { ...args, endpoint: pulumi.secret(args.endpoint) },
      { ...opts, additionalSecretOutputs: ["endpoint"] },
      "slipway",
      "RolloutGuard",
    );
  }
}
