import * as pulumi from "@pulumi/pulumi";
import type { AccessorySpec, ServiceSpec, SlipwayConfig } from "../../src/config";
import {
  kubeconfigOf,
  workloadResources,
  type KubeAccessory,
  type KubeService,
} from "../../src/kubernetes";
import { secretEnvOf } from "../deploy/keys";
import { AccessoryStatefulSet } from "./accessory-statefulset";
import { Cluster } from "./cluster";
import { ServiceDeployment } from "./service-deployment";

type KubeSettings = NonNullable<SlipwayConfig["kubernetes"]>;

/**
 * What a service's and an accessory's manifests take alike from its config: name, namespace,
 * command, env, the names of its secret env (`secretEnv` and `secretEnvFiles`), its health
 * command and timeout, and its resources over the cluster's defaults.
 */
function workloadOf(kube: KubeSettings, workload: AccessorySpec | ServiceSpec) {
  return {
    name: workload.name,
    namespace: kube.namespace,
    command: workload.command,
    env: workload.env,
    secretEnvNames: [...Object.keys(workload.secretEnv), ...Object.keys(workload.secretEnvFiles)],
    ...(workload.healthCommand === undefined ? {} : { healthCommand: workload.healthCommand }),
    healthTimeoutSeconds: workload.healthTimeoutSeconds,
    ...workloadResources(workload, kube),
  };
}

/**
 * The target-neutral input of the manifests from one service of the stack's service model
 * (`slipway:services`) and the cluster settings (`slipway:kubernetes`);
 * everything but the image, known after the build. Replicas: the service's when it asks for
 * more than one, else `slipway:kubernetes.replicas`. Limits: the service's `memory` and
 * `cpus` over the cluster's defaults.
 */
export function kubeServiceOf(
  kube: KubeSettings,
  service: ServiceSpec,
): Omit<KubeService, "image"> {
  const routed = service.routes.length > 0;
  return {
    ...workloadOf(kube, service),
    containerPort: service.containerPort,
    routes: service.routes.map((route) => ({
      ...(route.host === undefined ? {} : { host: route.host }),
      ...(route.path === undefined ? {} : { path: route.path }),
      tls: route.tls,
    })),
    healthPath: service.healthPath,
    drainSeconds: service.drainSeconds,
    replicas: service.replicas > 1 ? service.replicas : kube.replicas,
    keepReleases: service.keepReleases,
    ...(kube.nodePort === undefined || !routed ? {} : { nodePort: kube.nodePort }),
    ...(kube.ingressClassName === undefined || !routed
      ? {}
      : { ingressClassName: kube.ingressClassName }),
  };
}

/** The manifests' input of one accessory, everything but the image. */
export function kubeAccessoryOf(
  kube: KubeSettings,
  accessory: AccessorySpec,
): Omit<KubeAccessory, "image"> {
  return {
    ...workloadOf(kube, accessory),
    ports: accessory.ports.map((port) => port.containerPort),
    volumes: accessory.volumes,
    volumeSize: kube.volumeSize,
    ...(kube.storageClassName === undefined ? {} : { storageClassName: kube.storageClassName }),
  };
}

/**
 * The `secretEnv` input of a workload's component: its secret values (`secretEnv` and the
 * files of `secretEnvFiles`, read by secretEnvOf; `where` is its config path, for messages);
 * none when `names` is empty.
 */
function secretEnvInput(
  spec: AccessorySpec | ServiceSpec,
  names: readonly string[],
  where: string,
): { secretEnv?: ReturnType<typeof secretEnvOf> } {
  return names.length === 0
    ? {}
    : { secretEnv: secretEnvOf(spec.secretEnv, spec.secretEnvFiles, where) };
}

/** What a Kubernetes stack declared: its cluster, and each workload by name. */
export interface KubernetesDeployment {
  readonly cluster: Cluster;
  /** Services by name, in rollout order. */
  readonly services: Record<string, ServiceDeployment>;
  readonly accessories: Record<string, AccessoryStatefulSet>;
}

/**
 * Deploys the stack's service model to its Kubernetes cluster (`slipway:target: kubernetes`):
 * the accessories first, then the services in declared order, each waiting for the previous
 * one's rollout; undefined for an SSH stack. `refs`: the `repository@sha256:…` each service
 * and each accessory runs, by its name.
 */
export function deployToKubernetes(
  config: SlipwayConfig,
  refs: {
    readonly services: Readonly<Record<string, pulumi.Input<string>>>;
    readonly accessories: Readonly<Record<string, pulumi.Input<string>>>;
  },
  opts?: pulumi.ComponentResourceOptions,
): KubernetesDeployment | undefined {
  const kube = config.kubernetes;
  if (config.target !== "kubernetes" || kube === undefined) {
    return undefined;
  }
  const kubeconfig = kubeconfigOf(config);
  const registry = config.registry;
  const cluster = new Cluster(
    "cluster",
    {
      ...(kubeconfig === undefined ? {} : { kubeconfig: pulumi.secret(kubeconfig) }),
      ...(kube.context === undefined ? {} : { context: kube.context }),
      namespace: kube.namespace,
      createNamespace: kube.createNamespace,
      // A stack of one service and no accessory may have been deployed before the Cluster.
      ...(config.services.length === 1 && config.accessories.length === 0
        ? { formerOwner: config.services[0]!.name }
        : {}),
      keepNamespace: config.accessories.some(
        (accessory) =>
          !accessory.deleteVolumesOnDestroy && Object.keys(accessory.volumes).length > 0,
      ),
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
  const on = (dependsOn: pulumi.Resource[]): pulumi.ComponentResourceOptions =>
    pulumi.mergeOptions(opts, { provider: cluster.provider, dependsOn });
  const pull = cluster.pullSecret === undefined ? {} : { pullSecret: cluster.pullSecret };

  const accessories: Record<string, AccessoryStatefulSet> = {};
  for (const spec of config.accessories) {
    const accessory = kubeAccessoryOf(kube, spec);
    accessories[spec.name] = new AccessoryStatefulSet(
      spec.name,
      {
        accessory,
        image: refs.accessories[spec.name]!,
        deleteVolumesOnDestroy: spec.deleteVolumesOnDestroy,
        ...secretEnvInput(spec, accessory.secretEnvNames, `slipway:accessories.${spec.name}`),
        ...pull,
      },
      on(cluster.ready),
    );
  }

  const services: Record<string, ServiceDeployment> = {};
  let previous: pulumi.Resource[] = [...cluster.ready, ...Object.values(accessories)];
  for (const spec of config.services) {
    const service = kubeServiceOf(kube, spec);
    const deployment = new ServiceDeployment(
      spec.name,
      {
        service,
        image: refs.services[spec.name]!,
        ...(kubeconfig === undefined ? {} : { kubeconfig: pulumi.secret(kubeconfig) }),
        ...(kube.context === undefined ? {} : { context: kube.context }),
        ...secretEnvInput(spec, service.secretEnvNames, `slipway:services.${spec.name}`),
        ...pull,
      },
      on(previous),
    );
    services[spec.name] = deployment;
    previous = [...cluster.ready, deployment];
  }
  return { cluster, services, accessories };
}
