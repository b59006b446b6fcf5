import * as pulumi from "@pulumi/pulumi";
import type { KubeAccessory, KubeService } from "../../../src/kubernetes";

/** A kubeconfig with a token: the secret the provider and the rollout guard get. */
export const KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "current-context: c",
  "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:16443/'}}]",
  "users: [{name: u, user: {token: kube-token-s3cret}}]",
  "contexts: [{name: c, context: {cluster: k, user: u}}]",
].join("\n");

export const DIGEST_OLD = `sha256:${"0a".repeat(32)}`;
export const DIGEST_NEW = `sha256:${"0b".repeat(32)}`;
export const REF_OLD = `127.0.0.1:5000/slipway-k8s/web@${DIGEST_OLD}`;
export const REF_NEW = `127.0.0.1:5000/slipway-k8s/web@${DIGEST_NEW}`;

/** A service with every optional part on; each test takes out what it does not need. */
export function kubeService(overrides: Partial<KubeService> = {}): KubeService {
  return {
    name: "web",
    namespace: "slipway-dev",
    image: REF_NEW,
    containerPort: 8080,
    command: [],
    routes: [
      { host: "web.example.com", tls: true },
      { path: "/api", tls: false },
    ],
    healthPath: "/healthz",
    healthTimeoutSeconds: 60,
    drainSeconds: 2,
    env: { LOG_LEVEL: "info", APP_MODE: "prod" },
    secretEnvNames: ["DB_PASSWORD", "API_TOKEN"],
    replicas: 3,
    keepReleases: 3,
    cpu: { request: "100m", limit: "1" },
    memory: { request: "64Mi", limit: "128Mi" },
    nodePort: 30080,
    ingressClassName: "nginx",
    ...overrides,
  };
}

export const PG_REF = `127.0.0.1:5000/slipway-k8s/postgres@${DIGEST_OLD}`;

/** An accessory with every optional part on. */
export function kubeAccessory(overrides: Partial<KubeAccessory> = {}): KubeAccessory {
  return {
    name: "postgres",
    namespace: "slipway-dev",
    image: PG_REF,
    command: ["postgres", "-c", "fsync=off"],
    env: { POSTGRES_USER: "slipway" },
    secretEnvNames: ["POSTGRES_PASSWORD"],
    ports: [5432],
    volumes: { data: "/var/lib/postgresql/data", wal: "/wal" },
    volumeSize: "2Gi",
    storageClassName: "local-path",
    healthCommand: ["pg_isready", "-U", "slipway"],
    healthTimeoutSeconds: 120,
    cpu: { request: "50m" },
    memory: { request: "256Mi", limit: "256Mi" },
    ...overrides,
  };
}

/** One resource the program declared under the mocks. */
export interface Seen {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  /** The provider reference (`<urn>::<id>`), or "". */
  readonly provider: string;
}

/**
 * Installs Pulumi mocks that record every resource into `seen`; like the provider, they
 * auto-name a Kubernetes object without metadata.name (suffix `-x1y2`).
 */
export async function recordKubeResources(stack: string, seen: Seen[]): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        seen.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, any>,
          provider: args.provider ?? "",
        });
        const state: Record<string, any> = { ...args.inputs };
        if (args.type.startsWith("kubernetes:") && state.metadata?.name === undefined) {
          state.metadata = { ...state.metadata, name: `${args.name}-x1y2` };
        }
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs as Record<string, unknown>,
    },
    "slipway",
    stack,
    false,
  );
}
