import * as pulumi from "@pulumi/pulumi";
import type { ServiceSpec, SlipwayConfig } from "../../src/config";
import { kubeconfigOf, type KubeService } from "../../src/kubernetes";
import { secretEnvOf } from "../deploy/keys";
import { ServiceDeployment } from "./service-deployment";

/**
 * The target-neutral input of the manifests from one service of the stack's service model
 * (`slipway:services`, or `slipway:service`) and the cluster settings (`slipway:kubernetes`);
 * everything but the image, known after the build. Replicas: the service's when it asks for
 * more than one, else `slipway:kubernetes.replicas`.
 */
export function kubeServiceOf(
  config: SlipwayConfig,
  service: ServiceSpec,
): Omit<KubeService, "image"> | undefined {
  const kube = config.kubernetes;
  if (kube === undefined) {
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
    secretEnvNames: [...Object.keys(service.secretEnv), ...Object.keys(service.secretEnvFiles)],
    replicas: service.replicas > 1 ? service.replicas : kube.replicas,
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
  spec: ServiceSpec,
  ref: pulumi.Input<string>,
  opts?: pulumi.ComponentResourceOptions,
): ServiceDeployment | undefined {
  const service = kubeServiceOf(config, spec);
  if (config.target !== "kubernetes" || service === undefined) {
    return undefined;
  }
  const kube = config.kubernetes!;
  const kubeconfig = kubeconfigOf(config);
  const registry = config.registry;
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
            secretEnv: secretEnvOf(
              spec.secretEnv,
              spec.secretEnvFiles,
              `slipway:services.${spec.name}`,
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
