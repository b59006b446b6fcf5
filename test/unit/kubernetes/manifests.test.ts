import { strict as assert } from "node:assert";
import {
  container,
  deploymentSpec,
  disruptionBudgetSpec,
  dockerConfigJson,
  ingressSpec,
  labelSelector,
  metadata,
  serviceSpec,
} from "../../../src/kubernetes";
import { kubeService, REF_NEW } from "./fixtures";

const labels = { "app.kubernetes.io/name": "web", "app.kubernetes.io/managed-by": "slipway" };
const probe = { httpGet: { path: "/healthz", port: "http" }, timeoutSeconds: 2 };

describe("src/kubernetes: manifests as data", () => {
  it("names and labels every object after the service, in its namespace", () => {
    assert.deepEqual(metadata(kubeService()), { name: "web", namespace: "slipway-dev", labels });
    assert.equal(labelSelector(kubeService()), "app.kubernetes.io/name=web");
  });

  it("pins the Deployment to the digest, rolls with maxUnavailable 0 and keeps old ReplicaSets for the revert", () => {
    assert.deepEqual(deploymentSpec(kubeService(), { env: "web-env-x1", pull: "web-pull-x2" }), {
      replicas: 3,
      selector: { matchLabels: { "app.kubernetes.io/name": "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      revisionHistoryLimit: 3,
      progressDeadlineSeconds: 60,
      template: {
        metadata: { labels },
        spec: {
          imagePullSecrets: [{ name: "web-pull-x2" }],
          terminationGracePeriodSeconds: 7,
          containers: [
            {
              name: "web",
              image: REF_NEW,
              ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
              env: [
                { name: "APP_MODE", value: "prod" },
                { name: "LOG_LEVEL", value: "info" },
                {
                  name: "API_TOKEN",
                  valueFrom: { secretKeyRef: { name: "web-env-x1", key: "API_TOKEN" } },
                },
                {
                  name: "DB_PASSWORD",
                  valueFrom: { secretKeyRef: { name: "web-env-x1", key: "DB_PASSWORD" } },
                },
              ],
              startupProbe: { ...probe, periodSeconds: 2, failureThreshold: 30 },
              readinessProbe: { ...probe, periodSeconds: 2, failureThreshold: 2 },
              livenessProbe: { ...probe, periodSeconds: 10, failureThreshold: 3 },
              resources: {
                requests: { cpu: "100m", memory: "64Mi" },
                limits: { memory: "128Mi", cpu: "1" },
              },
              lifecycle: { preStop: { sleep: { seconds: 2 } } },
            },
          ],
        },
      },
    });
  });

  it("leaves out the pull secret and the CPU limit when there are none", () => {
    const spec = deploymentSpec(
      kubeService({ secretEnvNames: [], env: {}, cpu: { request: "50m" } }),
      {},
    );
    assert.equal("imagePullSecrets" in (spec.template as any).spec, false);
    const c = (spec.template as any).spec.containers[0];
    assert.deepEqual(c.env, []);
    assert.deepEqual(c.resources, {
      requests: { cpu: "50m", memory: "64Mi" },
      limits: { memory: "128Mi" },
    });
  });

  it("refuses an image that is not pinned by digest, and secret env without a Secret", () => {
    assert.throws(
      () => deploymentSpec(kubeService({ image: "127.0.0.1:5000/web:latest" }), { env: "e" }),
      /sha256/,
    );
    assert.throws(
      () => container(kubeService(), {}),
      /service web has secret env but no env Secret name/,
    );
  });

  it("exposes the pods as a NodePort Service, or a ClusterIP one", () => {
    assert.deepEqual(serviceSpec(kubeService()), {
      type: "NodePort",
      selector: { "app.kubernetes.io/name": "web" },
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP", nodePort: 30080 }],
    });
    const { nodePort, ...withoutNodePort } = kubeService();
    assert.equal(nodePort, 30080);
    assert.deepEqual(serviceSpec(withoutNodePort), {
      type: "ClusterIP",
      selector: { "app.kubernetes.io/name": "web" },
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
    });
  });

  it("turns the routes into Ingress rules, with TLS for the TLS hosts", () => {
    const backend = { service: { name: "web", port: { name: "http" } } };
    assert.deepEqual(ingressSpec(kubeService()), {
      ingressClassName: "nginx",
      rules: [
        { host: "web.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend }] } },
        { http: { paths: [{ path: "/api", pathType: "Prefix", backend }] } },
      ],
      tls: [{ hosts: ["web.example.com"], secretName: "web-tls" }],
    });
    const { ingressClassName, ...withoutIngress } = kubeService();
    assert.equal(ingressClassName, "nginx");
    assert.equal(ingressSpec(withoutIngress), undefined);
  });

  it("lets one pod go at a time in a drain", () => {
    const selector = { matchLabels: { "app.kubernetes.io/name": "web" } };
    assert.deepEqual(disruptionBudgetSpec(kubeService()), { selector, minAvailable: 2 });
    assert.deepEqual(disruptionBudgetSpec(kubeService({ replicas: 1 })), {
      selector,
      maxUnavailable: 1,
    });
  });

  it("writes the registry credentials in Docker's config format", () => {
    assert.deepEqual(JSON.parse(dockerConfigJson("ghcr.io", "bot", "hunter2")), {
      auths: {
        "ghcr.io": {
          username: "bot",
          password: "hunter2",
          auth: Buffer.from("bot:hunter2").toString("base64"),
        },
      },
    });
  });
});
