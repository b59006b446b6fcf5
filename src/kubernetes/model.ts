/**
 * What the Kubernetes target needs to know about one service: a small, target-neutral plain
 * value. The program maps the stack's service model onto it (today `slipway:service` plus
 * `slipway:kubernetes`); the manifest builders read nothing else.
 */
export interface KubeRoute {
  /** Host name the route answers; absent: any host. */
  readonly host?: string;
  /** Path prefix; absent: every path. */
  readonly path?: string;
  /** Also serve HTTPS (needs `host`); the Ingress names a TLS secret `<name>-tls`. */
  readonly tls: boolean;
}

export interface KubeService {
  /** DNS-1123 label: the Deployment, Service, Ingress and PodDisruptionBudget name. */
  readonly name: string;
  /** Namespace everything is declared in. */
  readonly namespace: string;
  /** `repository@sha256:…`: the only form a pod's image is ever given in. */
  readonly image: string;
  /** Port the application listens on inside the container. */
  readonly containerPort: number;
  readonly routes: readonly KubeRoute[];
  /** HTTP path answering 2xx when the release is ready (readiness, liveness, startup). */
  readonly healthPath: string;
  /** How long a new release may take to become ready before it is rolled back. */
  readonly healthTimeoutSeconds: number;
  /** Seconds a terminating pod keeps serving (preStop sleep) while it leaves the endpoints. */
  readonly drainSeconds: number;
  /** Plain environment variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Names of the secret environment variables; their values go only into a Secret. */
  readonly secretEnvNames: readonly string[];
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
