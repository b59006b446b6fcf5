import * as pulumi from "@pulumi/pulumi";
import type { SlipwayConfig } from "../../src/config";
import { kubeconfigOf, type KubeService } from "../../src/kubernetes";
import { ServiceDeployment } from "./service-deployment";

/**
 * The target-neutral input of the manifests from the stack's service (`slipway:service`) and
 * cluster settings (`slipway:kubernetes`); everything but the image, known after the build.
 */
export function kubeServiceOf(config: SlipwayConfig): Omit<KubeService, "image"> | undefined {
  const service = config.service;
  const kube = config.kubernetes;
  if (service === undefined || kube === undefined) {
    return undefined;
  }
  return {
    name: service.name,
    namespace: kube.namespace,
    containerPort: service.containerPort,
    routes: service.routes.map((route) => ({
      ...(route.host === undefined ? {} : { host: route.host }),
      ...(route.path === undefined ? {} : { path: route.path }),
      tls: route.tls,
    })),
    healthPath: service.healthPath,
    healthTimeoutSeconds: service.healthTimeoutSeconds,
    drainSeconds: service.drainSeconds,
    env: service.env,
    secretEnvNames: Object.keys(service.secretEnv),
    replicas: kube.replicas,
    keepReleases: service.keepReleases,
    cpu: { request: kube.cpu, ...(kube.cpuLimit === undefined ? {} : { limit: kube.cpuLimit }) },
    memory: { request: kube.memory, limit: kube.memoryLimit ?? kube.memory },
    ...(kube.nodePort === undefined ? {} : { nodePort: kube.nodePort }),
    ...(kube.ingressClassName === undefined ? {} : { ingressClassName: kube.ingressClassName }),
  };
}

/**
 * Deploys the stack's service to its Kubernetes cluster (`slipway:target: kubernetes`), pinned
 * to `ref`; undefined for an SSH stack.
 */
export function deployToKubernetes(
  config: SlipwayConfig,
  ref: pulumi.Input<string>,
  opts?: pulumi.ComponentResourceOptions,
): ServiceDeployment | undefined {
  const service = kubeServiceOf(config);
  if (config.target !== "kubernetes" || service === undefined) {
    return undefined;
  }
  const kube = config.kubernetes!;
  const kubeconfig = kubeconfigOf(config);
  const registry = config.registry;
  const secretEnv = config.service!.secretEnv;
  return new ServiceDeployment(
    service.name,
    {
      service,
      image: ref,
      ...(kubeconfig === undefined ? {} : { kubeconfig: pulumi.secret(kubeconfig) }),
      ...(kube.context === undefined ? {} : { context: kube.context }),
      createNamespace: kube.createNamespace,
      ...(service.secretEnvNames.length === 0
        ? {}
        : {
            secretEnv: pulumi.secret(
              Object.fromEntries(Object.entries(secretEnv).map(([n, v]) => [n, v.reveal()])),
            ),
          }),
      ...(registry.username === undefined || registry.password === undefined
        ? {}
        : {
            pullCredentials: {
              server: registry.server,
              username: registry.username,
              password: pulumi.secret(registry.password.reveal()),
            },
          }),
    },
    opts,
  );
}
