/**
 * What the Kubernetes target needs to know about one service: a small, target-neutral plain
 * value. The program maps the stack's service model onto it (`slipway:services` plus
 * `slipway:kubernetes`); the manifest builders read nothing else.
 */
import type { ContainerProcess } from "../config/workload";

interface KubeRoute {
  /** Host name the route answers; absent: any host. */
  readonly host?: string;
  /** Path prefix; absent: every path. */
  readonly path?: string;
  /** Also serve HTTPS (needs `host`); the Ingress names a TLS secret `<name>-tls`. */
  readonly tls: boolean;
}

export interface KubeService extends ContainerProcess {
  /** DNS-1123 label: the Deployment, Service, Ingress and PodDisruptionBudget name. */
  readonly name: string;
  /** Namespace everything is declared in. */
  readonly namespace: string;
  /** `repository@sha256:…`: the only form a pod's image is ever given in. */
  readonly image: string;
  /** Port the application listens on inside the container. */
  readonly containerPort: number;
  /** Empty: a worker (no Service, no Ingress; health by `healthCommand`, else none). */
  readonly routes: readonly KubeRoute[];
  /** HTTP path answering 2xx when a routed release is ready (readiness, liveness, startup). */
  readonly healthPath: string;
  /** A worker's health: a command run in the container (exec probes); absent: none. */
  readonly healthCommand?: readonly string[];
  /** How long a new release may take to become ready before it is rolled back. */
  readonly healthTimeoutSeconds: number;
  /** Seconds a terminating pod keeps serving (preStop sleep) while it leaves the endpoints. */
  readonly drainSeconds: number;
  readonly replicas: number;
  /** Old ReplicaSets kept for `kubectl rollout undo` and Slipway's automatic revert. */
  readonly keepReleases: number;
  /** CPU request and (optional) limit, Kubernetes quantities (`100m`, `1`). */
  readonly cpu: { readonly request: string; readonly limit?: string };
  /** Memory request and limit, Kubernetes quantities (`64Mi`). */
  readonly memory: { readonly request: string; readonly limit: string };
  /** Expose the Service as a NodePort on this port (30000-32767); absent: ClusterIP. */
  readonly nodePort?: number;
  /** Declare an Ingress of this class for the routes; absent: no Ingress. */
  readonly ingressClassName?: string;
}

/**
 * An accessory on the cluster: a StatefulSet of one pod behind a headless Service under its
 * name (so `postgres:5432` resolves to the pod), a PersistentVolumeClaim per named volume.
 */
export interface KubeAccessory extends ContainerProcess {
  /** DNS-1035 label: the StatefulSet and headless Service name, the host name services use. */
  readonly name: string;
  readonly namespace: string;
  /** `repository@sha256:…`. */
  readonly image: string;
  /** Ports it listens on (the headless Service's ports; services need none to resolve it). */
  readonly ports: readonly number[];
  /** Named volumes: mount path by volume name; each a PersistentVolumeClaim `<name>-<volume>`. */
  readonly volumes: Readonly<Record<string, string>>;
  /** Size each volume's claim requests (`1Gi`). */
  readonly volumeSize: string;
  /** StorageClass of the claims; absent: the cluster's default. */
  readonly storageClassName?: string;
  /** Health: a command run in the container (exec probes); absent: running is healthy. */
  readonly healthCommand?: readonly string[];
  readonly healthTimeoutSeconds: number;
  readonly cpu: { readonly request: string; readonly limit?: string };
  readonly memory: { readonly request: string; readonly limit: string };
}

/** The PersistentVolumeClaim of one named volume of an accessory: `<accessory>-<volume>`. */
export function claimName(accessory: string, volume: string): string {
  return `${accessory}-${volume}`;
}

/** Labels every object of a service carries; the first is also the pods' selector. */
export function selectorLabels(service: Pick<KubeService, "name">): Record<string, string> {
  return { "app.kubernetes.io/name": service.name };
}

export function commonLabels(service: Pick<KubeService, "name">): Record<string, string> {
  return { ...selectorLabels(service), "app.kubernetes.io/managed-by": "slipway" };
}

/** `app.kubernetes.io/name=<name>`: how `slipway status` and the revert find the pods. */
export function labelSelector(service: Pick<KubeService, "name">): string {
  return Object.entries(selectorLabels(service))
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}
