import { strict as assert } from "node:assert";
import { Secret, validateConfig } from "../../../src/config";
import {
  recordRegistrations,
  settle,
  withoutSecrets,
  type Registration,
} from "../../helpers/mocks";
import { base } from "../config/fixtures";
import {
  DIGEST_NEW,
  DIGEST_OLD,
  PG_REF,
  REF_NEW,
  KUBECONFIG,
  recordKubeResources,
  type Seen,
} from "./fixtures";

const API_REF = `127.0.0.1:5000/slipway-k8s/api@${DIGEST_NEW}`;
const REDIS_REF = `127.0.0.1:5000/slipway-k8s/redis@${DIGEST_OLD}`;
const LABELS = (name: string) => ({
  "app.kubernetes.io/name": name,
  "app.kubernetes.io/managed-by": "slipway",
});

/** The local stack's service set on a cluster: what Pulumi.local-k8s.yaml declares. */
function serviceSet(): Record<string, any> {
  const raw = base();
  delete raw.hosts;
  delete raw.edge;
  delete raw.services;
  delete raw.github;
  delete raw.registry.username;
  delete raw.registry.password;
  raw.images = {
    web: { build: { context: "app" } },
    api: { build: { context: "api" } },
    redis: { build: { context: "accessories/redis" } },
  };
  raw.target = "kubernetes";
  raw.kubernetes = {
    kubeconfig: new Secret(KUBECONFIG),
    namespace: "slipway-local-k8s",
    cpu: "20m",
    memory: "32Mi",
    ingressClassName: "traefik",
    storageClassName: "local-path",
  };
  raw.services = {
    api: {
      replicas: 2,
      routes: [{ host: "api.localhost", tls: true }],
      healthPath: "/readyz",
      env: { DATABASE_URL: "postgres://slipway@postgres:5432/slipway" },
      secretEnv: { PGPASSWORD: new Secret("pg-pa55word") },
      memory: "128m",
      cpus: 0.25,
    },
    worker: { image: "api", command: ["worker"], healthCommand: ["/api", "check"] },
    web: { routes: [{ host: "web.localhost" }, {}], healthTimeoutSeconds: 30 },
  };
  raw.accessories = {
    postgres: {
      image: PG_REF,
      env: { POSTGRES_USER: "slipway" },
      secretEnv: { POSTGRES_PASSWORD: new Secret("pg-pa55word") },
      volumes: { data: "/var/lib/postgresql/data" },
      ports: [{ containerPort: 5432 }],
      healthCommand: ["pg_isready", "-U", "slipway"],
      healthTimeoutSeconds: 120,
    },
    redis: { image: "redis", volumes: { data: "/data" }, deleteVolumesOnDestroy: true },
  };
  return raw;
}

describe("infra/kubernetes: the service model on a cluster (deployToKubernetes under mocks)", function () {
  this.timeout(30_000);
  const seen: Seen[] = [];
  const registered: Registration[] = [];

  before(async () => {
    await recordKubeResources("local-k8s", seen);
    await recordRegistrations((registration) => registered.push(registration));
    const { deployToKubernetes } = await import("../../../infra/kubernetes");
    const config = validateConfig("local-k8s", serviceSet());
    const declared = deployToKubernetes(config, {
      services: { api: API_REF, worker: API_REF, web: REF_NEW },
      accessories: { postgres: PG_REF, redis: REDIS_REF },
    });
    assert.ok(declared);
    for (let i = 0; i < 150 && seen.filter((e) => e.name.endsWith("-rollout")).length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await settle();
  });

  const find = (type: string, name: string): Seen => {
    const found = seen.find((entry) => entry.type === type && entry.name === name);
    assert.ok(found, `${type} ${name} was not declared`);
    return found;
  };
  const registration = (type: string, name: string): Registration => {
    const found = registered.find((entry) => entry.type === type && entry.name === name);
    assert.ok(found, `${type} ${name} was not registered`);
    return found;
  };
  const dependsOn = (type: string, name: string): string[] =>
    registration(type, name)
      .dependencies.map((urn) => urn.split("::").pop()!)
      .sort();

  it("declares one cluster, a StatefulSet per accessory and a Deployment per service; workers get no Service", () => {
    assert.deepEqual(seen.map((entry) => `${entry.type} ${entry.name}`).sort(), [
      "kubernetes:apps/v1:Deployment api",
      "kubernetes:apps/v1:Deployment web",
      "kubernetes:apps/v1:Deployment worker",
      "kubernetes:apps/v1:StatefulSet postgres",
      "kubernetes:apps/v1:StatefulSet redis",
      "kubernetes:core/v1:Namespace cluster-namespace",
      "kubernetes:core/v1:PersistentVolumeClaim postgres-data",
      "kubernetes:core/v1:PersistentVolumeClaim redis-data",
      "kubernetes:core/v1:Secret api-env",
      "kubernetes:core/v1:Secret postgres-env",
      "kubernetes:core/v1:Service api-service",
      "kubernetes:core/v1:Service postgres-service",
      "kubernetes:core/v1:Service redis-service",
      "kubernetes:core/v1:Service web-service",
      "kubernetes:networking.k8s.io/v1:Ingress api-ingress",
      "kubernetes:networking.k8s.io/v1:Ingress web-ingress",
      "kubernetes:policy/v1:PodDisruptionBudget api-pdb",
      "kubernetes:policy/v1:PodDisruptionBudget web-pdb",
      "kubernetes:policy/v1:PodDisruptionBudget worker-pdb",
      "pulumi-nodejs:dynamic/slipway:RolloutGuard api-rollout",
      "pulumi-nodejs:dynamic/slipway:RolloutGuard web-rollout",
      "pulumi-nodejs:dynamic/slipway:RolloutGuard worker-rollout",
      "pulumi:providers:kubernetes cluster-provider",
      "slipway:kubernetes:AccessoryStatefulSet postgres",
      "slipway:kubernetes:AccessoryStatefulSet redis",
      "slipway:kubernetes:Cluster cluster",
      "slipway:kubernetes:ServiceDeployment api",
      "slipway:kubernetes:ServiceDeployment web",
      "slipway:kubernetes:ServiceDeployment worker",
    ]);
  });

  it("declares every Kubernetes object with the cluster's provider", () => {
    const objects = seen.filter((entry) => entry.type.startsWith("kubernetes:"));
    assert.equal(objects.length, 19);
    for (const entry of objects) {
      assert.match(entry.provider, /::cluster-provider::cluster-provider-id$/, entry.name);
    }
  });

  it("rolls out accessories first, then the services in declared order, each after the previous", () => {
    const accessories = ["postgres", "postgres-data", "postgres-env", "postgres-service"];
    const redis = ["redis", "redis-data", "redis-service"];
    assert.deepEqual(dependsOn("kubernetes:apps/v1:Deployment", "api"), [
      "api-env",
      "cluster-namespace",
      ...accessories,
      ...redis,
    ]);
    assert.deepEqual(dependsOn("kubernetes:apps/v1:Deployment", "worker"), [
      "api",
      "api-env",
      "api-ingress",
      "api-pdb",
      "api-rollout",
      "api-service",
      "cluster-namespace",
    ]);
    assert.deepEqual(dependsOn("kubernetes:apps/v1:Deployment", "web"), [
      "cluster-namespace",
      "worker",
      "worker-pdb",
      "worker-rollout",
    ]);
    assert.deepEqual(dependsOn("kubernetes:apps/v1:StatefulSet", "postgres"), [
      "cluster-namespace",
      "postgres-data",
      "postgres-env",
      "postgres-service",
    ]);
  });

  it("keeps volumes and the namespace holding them on destroy, unless deleteVolumesOnDestroy", () => {
    assert.equal(
      registration("kubernetes:core/v1:PersistentVolumeClaim", "postgres-data").retainOnDelete,
      true,
    );
    assert.equal(
      registration("kubernetes:core/v1:PersistentVolumeClaim", "redis-data").retainOnDelete,
      false,
    );
    assert.equal(
      registration("kubernetes:core/v1:Namespace", "cluster-namespace").retainOnDelete,
      true,
    );
    assert.deepEqual(find("kubernetes:core/v1:PersistentVolumeClaim", "postgres-data").inputs, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: {
        name: "postgres-data",
        namespace: "slipway-local-k8s",
        labels: LABELS("postgres"),
      },
      spec: {
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: "1Gi" } },
        storageClassName: "local-path",
      },
    });
  });

  it("runs an accessory as one pod on its claims, behind a headless Service under its name", () => {
    const service = find("kubernetes:core/v1:Service", "postgres-service").inputs;
    assert.deepEqual(service.metadata.name, "postgres");
    assert.deepEqual(service.spec, {
      clusterIP: "None",
      selector: { "app.kubernetes.io/name": "postgres" },
      publishNotReadyAddresses: true,
      ports: [{ name: "tcp-5432", port: 5432, targetPort: 5432, protocol: "TCP" }],
    });
    const exec = { exec: { command: ["pg_isready", "-U", "slipway"] }, timeoutSeconds: 2 };
    assert.deepEqual(find("kubernetes:apps/v1:StatefulSet", "postgres").inputs, {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "postgres", namespace: "slipway-local-k8s", labels: LABELS("postgres") },
      spec: {
        serviceName: "postgres",
        replicas: 1,
        selector: { matchLabels: { "app.kubernetes.io/name": "postgres" } },
        updateStrategy: { type: "RollingUpdate" },
        template: {
          metadata: { labels: LABELS("postgres") },
          spec: {
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: "postgres",
                image: PG_REF,
                ports: [{ name: "tcp-5432", containerPort: 5432, protocol: "TCP" }],
                env: [
                  { name: "POSTGRES_USER", value: "slipway" },
                  {
                    name: "POSTGRES_PASSWORD",
                    valueFrom: {
                      secretKeyRef: { name: "postgres-env-x1y2", key: "POSTGRES_PASSWORD" },
                    },
                  },
                ],
                startupProbe: { ...exec, periodSeconds: 2, failureThreshold: 60 },
                readinessProbe: { ...exec, periodSeconds: 2, failureThreshold: 2 },
                livenessProbe: { ...exec, periodSeconds: 10, failureThreshold: 3 },
                resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { memory: "32Mi" } },
                volumeMounts: [{ name: "data", mountPath: "/var/lib/postgresql/data" }],
              },
            ],
            volumes: [{ name: "data", persistentVolumeClaim: { claimName: "postgres-data" } }],
          },
        },
      },
    });
    const redis = find("kubernetes:apps/v1:StatefulSet", "redis").inputs;
    assert.equal(redis.spec.template.spec.containers[0].image, REDIS_REF);
    assert.equal(redis.spec.template.spec.containers[0].startupProbe, undefined);
  });

  it("runs a worker with its command and health command, and no port", () => {
    const exec = { exec: { command: ["/api", "check"] }, timeoutSeconds: 2 };
    const worker = find("kubernetes:apps/v1:Deployment", "worker").inputs;
    assert.equal(worker.spec.replicas, 2);
    assert.deepEqual(worker.spec.template.spec.containers, [
      {
        name: "worker",
        image: API_REF,
        args: ["worker"],
        env: [],
        startupProbe: { ...exec, periodSeconds: 2, failureThreshold: 30 },
        readinessProbe: { ...exec, periodSeconds: 2, failureThreshold: 2 },
        livenessProbe: { ...exec, periodSeconds: 10, failureThreshold: 3 },
        resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { memory: "32Mi" } },
        lifecycle: { preStop: { sleep: { seconds: 1 } } },
      },
    ]);
  });

  it("gives a routed service its replicas, limits, secret env and Ingress rules from its routes", () => {
    const api = find("kubernetes:apps/v1:Deployment", "api").inputs;
    const container = api.spec.template.spec.containers[0];
    assert.equal(api.spec.replicas, 2);
    assert.deepEqual(container.resources, {
      requests: { cpu: "20m", memory: "128Mi" },
      limits: { cpu: "250m", memory: "128Mi" },
    });
    assert.deepEqual(container.env, [
      { name: "DATABASE_URL", value: "postgres://slipway@postgres:5432/slipway" },
      {
        name: "PGPASSWORD",
        valueFrom: { secretKeyRef: { name: "api-env-x1y2", key: "PGPASSWORD" } },
      },
    ]);
    assert.deepEqual(container.readinessProbe.httpGet, { path: "/readyz", port: "http" });
    const backend = (name: string) => ({ service: { name, port: { name: "http" } } });
    assert.deepEqual(find("kubernetes:networking.k8s.io/v1:Ingress", "api-ingress").inputs.spec, {
      ingressClassName: "traefik",
      rules: [
        {
          host: "api.localhost",
          http: { paths: [{ path: "/", pathType: "Prefix", backend: backend("api") }] },
        },
      ],
      tls: [{ hosts: ["api.localhost"], secretName: "api-tls" }],
    });
    assert.deepEqual(find("kubernetes:networking.k8s.io/v1:Ingress", "web-ingress").inputs.spec, {
      ingressClassName: "traefik",
      rules: [
        {
          host: "web.localhost",
          http: { paths: [{ path: "/", pathType: "Prefix", backend: backend("web") }] },
        },
        { http: { paths: [{ path: "/", pathType: "Prefix", backend: backend("web") }] } },
      ],
    });
  });

  it("puts secret values only into Secrets, as Pulumi secrets", () => {
    const text = JSON.stringify(seen.map((entry) => withoutSecrets(entry.inputs)));
    assert.equal(text.includes("pg-pa55word"), false);
    assert.equal(text.includes("kube-token-s3cret"), false);
    assert.deepEqual(registration("kubernetes:core/v1:Secret", "postgres-env").inputs.stringData, {
      POSTGRES_PASSWORD: "pg-pa55word",
    });
  });
});
