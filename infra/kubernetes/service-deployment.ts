import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  deploymentSpec,
  disruptionBudgetSpec,
  ingressSpec,
  metadata,
  serviceSpec,
  type KubeService,
} from "../../src/kubernetes";
import { ambientEndpoint, endpointOf } from "../../src/kubernetes/kubeconfig";
import { after, childOptions } from "../deploy/host-deployment";
import { envSecret as declareEnvSecret, specWith } from "./env-secret";
import { RolloutGuard } from "./rollout-guard";

export interface ServiceDeploymentArgs {
  /** The service as the manifests take it, except its image (known only after the build). */
  service: Omit<KubeService, "image">;
  /** `repository@sha256:…` of the release to run. */
  image: pulumi.Input<string>;
  /** kubeconfig text (a secret) for the rollout guard; absent: the ambient one. */
  kubeconfig?: pulumi.Input<string>;
  /** kubeconfig context; absent: its current context. */
  context?: string;
  /** Values of the secret environment variables, by name (`service.secretEnvNames`). */
  secretEnv?: pulumi.Input<Record<string, string>>;
  /** Name of the namespace's image pull Secret (`Cluster`); absent: none. */
  pullSecret?: pulumi.Input<string>;
}

/**
 * One service on a Kubernetes cluster: Deployment (pinned to a digest, RollingUpdate with
 * maxUnavailable 0, probes from the health path or a worker's health command),
 * PodDisruptionBudget, a Secret for the secret env, and for a routed service a Service and
 * an optional Ingress. Declared with the `Cluster`'s provider (`opts.provider`, which its
 * children inherit); `opts.dependsOn` holds every child (the previous service's rollout). The
 * provider awaits each rollout (the update completes only when the new ReplicaSet is ready);
 * a RolloutGuard beside it undoes a rollout not ready within the health timeout (the previous
 * ReplicaSet's template) and fails the update naming the pods' cause.
 */
export class ServiceDeployment extends pulumi.ComponentResource {
  /** The image the Deployment runs once the update succeeded. */
  public readonly ref: pulumi.Output<string>;
  public readonly namespace: pulumi.Output<string>;
  public readonly deployment: pulumi.Output<string>;
  /** The Service's NodePort, or null (a ClusterIP Service, or a worker without one). */
  public readonly nodePort: pulumi.Output<number | null>;

  constructor(name: string, args: ServiceDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:kubernetes:ServiceDeployment", name, {}, opts);
    const { service } = args;
    const missing = service.secretEnvNames.filter((n) => n.length === 0);
    if (missing.length > 0) {
      throw new Error(`service ${service.name}: empty secret env name`);
    }

    const inNamespace = childOptions(this, opts);
    const base = { ...service, image: "" } as KubeService;

    const envSecret = declareEnvSecret(name, service, args.secretEnv, inNamespace);
    // The provider's await gives up a little after Slipway's guard, which reverts first.
    const timeout = `${service.healthTimeoutSeconds + 30}s`;
    const deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: {
          ...metadata(base),
          // Slipway's revert patches the template; the next apply takes the fields back.
          annotations: { "pulumi.com/patchForce": "true" },
        },
        spec: specWith(service, args.image, envSecret, args.pullSecret, deploymentSpec),
      },
      {
        ...inNamespace,
        customTimeouts: { create: timeout, update: timeout },
      },
    );
    // Beside the Deployment, not after it: it must see the rollout the provider awaits.
    new RolloutGuard(
      `${name}-rollout`,
      {
        namespace: service.namespace,
        name: service.name,
        image: args.image,
        timeoutSeconds: service.healthTimeoutSeconds,
        endpoint: pulumi
          .output(args.kubeconfig ?? "")
          .apply((text) =>
            text === ""
              ? ambientEndpoint(process.env, args.context)
              : endpointOf(text, args.context),
          ),
      },
      inNamespace,
    );

    // A worker gets no requests: no Service, no Ingress.
    const svc =
      service.routes.length === 0
        ? undefined
        : new k8s.core.v1.Service(
            `${name}-service`,
            { metadata: metadata(base), spec: serviceSpec(base) },
            inNamespace,
          );
    const ingress = ingressSpec(base);
    if (svc !== undefined && ingress !== undefined) {
      new k8s.networking.v1.Ingress(
        `${name}-ingress`,
        { metadata: metadata(base), spec: ingress },
        after(inNamespace, svc),
      );
    }
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      { metadata: metadata(base), spec: disruptionBudgetSpec(base) },
      inNamespace,
    );

    this.ref = deployment.spec.template.spec.containers.apply((containers) => containers[0]!.image);
    this.namespace = deployment.metadata.namespace;
    this.deployment = deployment.metadata.name;
    this.nodePort =
      svc === undefined
        ? pulumi.output(null)
        : svc.spec.ports.apply((ports) => ports[0]?.nodePort ?? null);
    this.registerOutputs({
      ref: this.ref,
      namespace: this.namespace,
      deployment: this.deployment,
      nodePort: this.nodePort,
    });
  }
}
