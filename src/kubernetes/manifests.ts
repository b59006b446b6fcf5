/**
 * The Kubernetes objects of one service as plain data: what infra/kubernetes declares with
 * @pulumi/kubernetes. No secret value ever passes through here: Secrets get their data in the
 * component, as Pulumi secrets; these functions only name them.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import { parseDigestReference } from "../reference";
import { commonLabels, selectorLabels, type KubeService } from "./model";

/** The container port's name, used by probes, the Service and the Ingress. */
const PORT_NAME = "http";
/** Port the Service listens on inside the cluster. */
const SERVICE_PORT = 80;
/** Seconds between readiness probes: how fast a new pod joins the endpoints. */
const READINESS_PERIOD_SECONDS = 2;

/** Names of the Secrets a service's pods reference (the component adds the data). */
export interface SecretNames {
  /** Secret holding the secret environment variables; needed when there are any. */
  readonly env?: string;
  /** Secret of type kubernetes.io/dockerconfigjson for the registry; absent: none. */
  readonly pull?: string;
}

export function metadata(service: KubeService, name = service.name): k8s.meta.v1.ObjectMeta {
  return { name, namespace: service.namespace, labels: commonLabels(service) };
}

/**
 * Startup, readiness and liveness probes from a health check: the startup probe allows the
 * whole health timeout, then readiness gates traffic and liveness restarts.
 */
export function probes(
  check: Pick<k8s.core.v1.Probe, "httpGet" | "exec">,
  healthTimeoutSeconds: number,
): Pick<k8s.core.v1.Container, "startupProbe" | "readinessProbe" | "livenessProbe"> {
  const probe = (extra: k8s.core.v1.Probe): k8s.core.v1.Probe => ({
    ...check,
    timeoutSeconds: 2,
    ...extra,
  });
  return {
    startupProbe: probe({
      periodSeconds: READINESS_PERIOD_SECONDS,
      failureThreshold: Math.max(1, Math.ceil(healthTimeoutSeconds / READINESS_PERIOD_SECONDS)),
    }),
    readinessProbe: probe({ periodSeconds: READINESS_PERIOD_SECONDS, failureThreshold: 2 }),
    livenessProbe: probe({ periodSeconds: 10, failureThreshold: 3 }),
  };
}

/** Plain env by name, then each secret env name from the Secret `secretName`. */
export function envVars(
  env: Readonly<Record<string, string>>,
  secretEnvNames: readonly string[],
  secretName: string | undefined,
): k8s.core.v1.EnvVar[] {
  return [
    ...Object.keys(env)
      .sort()
      .map((name) => ({ name, value: env[name]! })),
    ...[...secretEnvNames].sort().map((name) => ({
      name,
      valueFrom: { secretKeyRef: { name: secretName!, key: name } },
    })),
  ];
}

/** Requests and limits: memory always limited; CPU only when a limit is set. */
export function resources(
  workload: Pick<KubeService, "cpu" | "memory">,
): k8s.core.v1.ResourceRequirements {
  const limits: Record<string, string> = { memory: workload.memory.limit };
  if (workload.cpu.limit !== undefined) {
    limits.cpu = workload.cpu.limit;
  }
  return {
    requests: { cpu: workload.cpu.request, memory: workload.memory.request },
    limits,
  };
}

/** The single container of the pod template. */
export function container(service: KubeService, secrets: SecretNames): k8s.core.v1.Container {
  if (service.secretEnvNames.length > 0 && secrets.env === undefined) {
    throw new Error(`service ${service.name} has secret env but no env Secret name`);
  }
  const routed = service.routes.length > 0;
  const health = routed
    ? probes(
        { httpGet: { path: service.healthPath, port: PORT_NAME } },
        service.healthTimeoutSeconds,
      )
    : service.healthCommand === undefined
      ? {}
      : probes({ exec: { command: [...service.healthCommand] } }, service.healthTimeoutSeconds);
  return {
    name: service.name,
    image: pinned(service.image),
    ...(service.command.length === 0 ? {} : { args: [...service.command] }),
    ...(routed
      ? { ports: [{ name: PORT_NAME, containerPort: service.containerPort, protocol: "TCP" }] }
      : {}),
    env: envVars(service.env, service.secretEnvNames, secrets.env),
    ...health,
    resources: resources(service),
    // Keep serving while the endpoint removal reaches every proxy, then stop.
    lifecycle: { preStop: { sleep: { seconds: service.drainSeconds } } },
  };
}

/** The image reference, refused unless it is `repository@sha256:…`. */
export function pinned(image: string): string {
  parseDigestReference(image);
  return image;
}

export function deploymentSpec(
  service: KubeService,
  secrets: SecretNames,
): k8s.apps.v1.DeploymentSpec {
  return {
    replicas: service.replicas,
    selector: { matchLabels: selectorLabels(service) },
    // Never fewer ready pods than asked for: a new pod joins, then an old one leaves.
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    revisionHistoryLimit: service.keepReleases,
    progressDeadlineSeconds: service.healthTimeoutSeconds,
    template: {
      metadata: { labels: commonLabels(service) },
      spec: {
        ...(secrets.pull === undefined ? {} : { imagePullSecrets: [{ name: secrets.pull }] }),
        // The preStop sleep, then a few seconds for the process to stop on SIGTERM.
        terminationGracePeriodSeconds: service.drainSeconds + 5,
        containers: [container(service, secrets)],
      },
    },
  };
}

export function serviceSpec(service: KubeService): k8s.core.v1.ServiceSpec {
  return {
    type: service.nodePort === undefined ? "ClusterIP" : "NodePort",
    selector: selectorLabels(service),
    ports: [
      {
        name: PORT_NAME,
        port: SERVICE_PORT,
        targetPort: PORT_NAME,
        protocol: "TCP",
        ...(service.nodePort === undefined ? {} : { nodePort: service.nodePort }),
      },
    ],
  };
}

/** The Ingress for the routes, or undefined when the service has no ingress class. */
export function ingressSpec(service: KubeService): k8s.networking.v1.IngressSpec | undefined {
  if (service.ingressClassName === undefined) {
    return undefined;
  }
  const backend = { service: { name: service.name, port: { name: PORT_NAME } } };
  const tlsHosts = service.routes.flatMap((route) =>
    route.tls && route.host !== undefined ? [route.host] : [],
  );
  return {
    ingressClassName: service.ingressClassName,
    rules: service.routes.map((route) => ({
      ...(route.host === undefined ? {} : { host: route.host }),
      http: { paths: [{ path: route.path ?? "/", pathType: "Prefix", backend }] },
    })),
    ...(tlsHosts.length === 0
      ? {}
      : { tls: [{ hosts: [...new Set(tlsHosts)], secretName: `${service.name}-tls` }] }),
  };
}

/**
 * At most one pod away at a time for voluntary disruptions (drains): with two or more
 * replicas all but one stay; a single replica may go (a drain would otherwise never end).
 */
export function disruptionBudgetSpec(service: KubeService): k8s.policy.v1.PodDisruptionBudgetSpec {
  return {
    selector: { matchLabels: selectorLabels(service) },
    ...(service.replicas > 1 ? { minAvailable: service.replicas - 1 } : { maxUnavailable: 1 }),
  };
}

/**
 * The `.dockerconfigjson` of an image pull Secret: the registry's credentials in Docker's
 * config format. Its result is secret: the component wraps it in `pulumi.secret`.
 */
export function dockerConfigJson(server: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}
