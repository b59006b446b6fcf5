/**
 * An accessory's Kubernetes objects as plain data: a StatefulSet of one pod, a headless
 * Service under the accessory's name, and a PersistentVolumeClaim per named volume. Like the
 * service manifests, they only name Secrets; the component adds their data.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import { envVars, pinned, probes, resources, type SecretNames } from "./manifests";
import { claimName, commonLabels, selectorLabels, type KubeAccessory } from "./model";

/** The headless Service: no cluster IP, its name resolves to the pod's address. */
export function headlessServiceSpec(accessory: KubeAccessory): k8s.core.v1.ServiceSpec {
  return {
    clusterIP: "None",
    selector: selectorLabels(accessory),
    // A pod that is not ready yet still resolves: the services wait for it themselves.
    publishNotReadyAddresses: true,
    ports: accessory.ports.map((port) => ({
      name: `tcp-${port}`,
      port,
      targetPort: port,
      protocol: "TCP",
    })),
  };
}

/** The claim of one named volume: one node's disk, read-write by the one pod. */
export function claimSpec(accessory: KubeAccessory): k8s.core.v1.PersistentVolumeClaimSpec {
  return {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: accessory.volumeSize } },
    ...(accessory.storageClassName === undefined
      ? {}
      : { storageClassName: accessory.storageClassName }),
  };
}

/**
 * One pod (an accessory is not replicated), replaced in place on a new digest (`OnDelete`
 * would leave the old one running; `RollingUpdate` with one pod stops it, then starts the
 * new one on the same claims).
 */
export function statefulSetSpec(
  accessory: KubeAccessory,
  secrets: SecretNames,
): k8s.apps.v1.StatefulSetSpec {
  if (accessory.secretEnvNames.length > 0 && secrets.env === undefined) {
    throw new Error(`accessory ${accessory.name} has secret env but no env Secret name`);
  }
  const volumes = Object.keys(accessory.volumes).sort();
  return {
    serviceName: accessory.name,
    replicas: 1,
    selector: { matchLabels: selectorLabels(accessory) },
    updateStrategy: { type: "RollingUpdate" },
    template: {
      metadata: { labels: commonLabels(accessory) },
      spec: {
        ...(secrets.pull === undefined ? {} : { imagePullSecrets: [{ name: secrets.pull }] }),
        terminationGracePeriodSeconds: 30,
        containers: [
          {
            name: accessory.name,
            image: pinned(accessory.image),
            ...(accessory.command.length === 0 ? {} : { args: [...accessory.command] }),
            ports: accessory.ports.map((port) => ({
              name: `tcp-${port}`,
              containerPort: port,
              protocol: "TCP",
            })),
            env: envVars(accessory.env, accessory.secretEnvNames, secrets.env),
            ...(accessory.healthCommand === undefined
              ? {}
              : probes(
                  { exec: { command: [...accessory.healthCommand] } },
                  accessory.healthTimeoutSeconds,
                )),
            resources: resources(accessory),
            volumeMounts: volumes.map((volume) => ({
              name: volume,
              mountPath: accessory.volumes[volume]!,
            })),
          },
        ],
        volumes: volumes.map((volume) => ({
          name: volume,
          persistentVolumeClaim: { claimName: claimName(accessory.name, volume) },
        })),
      },
    },
  };
}
