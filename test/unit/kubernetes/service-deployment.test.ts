import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import {
  deploymentSpec,
  disruptionBudgetSpec,
  ingressSpec,
  serviceSpec,
} from "../../../src/kubernetes";
import { secrecy, settle, valueOf, withoutSecrets } from "../../helpers/mocks";
import { kubeService, REF_NEW, KUBECONFIG, recordKubeResources, type Seen } from "./fixtures";

const SECRET_VALUES = ["kube-token-s3cret", "db-pa55word", "api-t0ken", "registry-pa55"];

/** The alias specs of a registration: `<parent URN> <name>` each. */
interface AliasRequest {
  getName(): string;
  getAliasesList(): { getSpec(): { getName(): string; getParenturn(): string } | undefined }[];
}

describe("infra/kubernetes: ServiceDeployment under mocks", function () {
  this.timeout(20_000);
  const seen: Seen[] = [];
  const aliases = new Map<string, string[]>();
  let component: import("../../../infra/kubernetes").ServiceDeployment;

  before(async () => {
    await recordKubeResources("dev", seen);
    process.on("unhandledRejection", (e) => console.log("UNHANDLED", e));
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(req: AliasRequest, callback: unknown): unknown;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      aliases.set(
        req.getName(),
        req
          .getAliasesList()
          .map((alias) => `${alias.getSpec()?.getParenturn()} ${alias.getSpec()?.getName()}`),
      );
      return register(req, callback);
    };
    const { Cluster, ServiceDeployment } = await import("../../../infra/kubernetes");
    const { image, ...service } = kubeService();
    assert.equal(image, REF_NEW);
    const cluster = new Cluster("cluster", {
      kubeconfig: pulumi.secret(KUBECONFIG),
      namespace: "slipway-dev",
      createNamespace: true,
      keepNamespace: false,
      formerOwner: "web",
      pullCredentials: {
        server: "ghcr.io",
        username: "bot",
        password: pulumi.secret("registry-pa55"),
      },
    });
    component = new ServiceDeployment(
      "web",
      {
        service,
        image: pulumi.output(REF_NEW),
        kubeconfig: pulumi.secret(KUBECONFIG),
        secretEnv: pulumi.secret({ DB_PASSWORD: "db-pa55word", API_TOKEN: "api-t0ken" }),
        pullSecret: cluster.pullSecret!,
      },
      { provider: cluster.provider, dependsOn: cluster.ready },
    );
    await valueOf(component.ref);
    // A dynamic resource registers once its provider is serialized.
    for (let i = 0; i < 100 && !seen.some((e) => e.name === "web-rollout"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await settle();
  });

  const find = (type: string, name: string) => {
    const found = seen.find((entry) => entry.type === type && entry.name === name);
    assert.ok(found, `${type} ${name} was not declared`);
    return found.inputs;
  };

  it("declares exactly these resources, named after the service", () => {
    assert.deepEqual(seen.map((entry) => `${entry.type} ${entry.name}`).sort(), [
      "kubernetes:apps/v1:Deployment web",
      "kubernetes:core/v1:Namespace cluster-namespace",
      "kubernetes:core/v1:Secret cluster-pull",
      "kubernetes:core/v1:Secret web-env",
      "kubernetes:core/v1:Service web-service",
      "kubernetes:networking.k8s.io/v1:Ingress web-ingress",
      "kubernetes:policy/v1:PodDisruptionBudget web-pdb",
      "pulumi-nodejs:dynamic/slipway:RolloutGuard web-rollout",
      "pulumi:providers:kubernetes cluster-provider",
      "slipway:kubernetes:Cluster cluster",
      "slipway:kubernetes:ServiceDeployment web",
    ]);
  });

  it("keeps the provider and namespace a one-service stack declared under its ServiceDeployment", () => {
    const web = "urn:pulumi:dev::slipway::slipway:kubernetes:ServiceDeployment::web";
    assert.deepEqual(aliases.get("cluster-provider"), [`${web} web-cluster`]);
    assert.deepEqual(aliases.get("cluster-namespace"), [`${web} web-namespace`]);
    assert.deepEqual(aliases.get("cluster-pull"), []);
  });

  it("gives the provider the kubeconfig as a secret and the namespace", () => {
    const provider = find("pulumi:providers:kubernetes", "cluster-provider");
    assert.deepEqual(secrecy(provider.kubeconfig), { secret: KUBECONFIG });
    assert.equal(provider.namespace, "slipway-dev");
  });

  it("pins the Deployment to the digest and references the auto-named Secrets", async () => {
    const deployment = find("kubernetes:apps/v1:Deployment", "web");
    assert.deepEqual(deployment.metadata, {
      name: "web",
      namespace: "slipway-dev",
      labels: { "app.kubernetes.io/name": "web", "app.kubernetes.io/managed-by": "slipway" },
      annotations: { "pulumi.com/patchForce": "true" },
    });
    assert.deepEqual(
      deployment.spec,
      JSON.parse(
        JSON.stringify(
          deploymentSpec(kubeService(), { env: "web-env-x1y2", pull: "cluster-pull-x1y2" }),
        ),
      ),
    );
    assert.equal(deployment.spec.template.spec.containers[0].image, REF_NEW);
    assert.equal(await valueOf(component.ref), REF_NEW);
  });

  it("guards the rollout of the pinned image for the health timeout, with the API endpoint as a secret", () => {
    const guard = find("pulumi-nodejs:dynamic/slipway:RolloutGuard", "web-rollout");
    assert.equal(guard.namespace, "slipway-dev");
    assert.equal(guard.name, "web");
    assert.equal(guard.image, REF_NEW);
    assert.equal(guard.timeoutSeconds, 60);
    assert.deepEqual(secrecy(guard.endpoint), {
      secret: { server: "https://127.0.0.1:16443", token: "kube-token-s3cret", insecure: false },
    });
  });

  it("declares the Service, Ingress and PodDisruptionBudget from the manifests", () => {
    const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
    assert.deepEqual(
      find("kubernetes:core/v1:Service", "web-service").spec,
      plain(serviceSpec(kubeService())),
    );
    assert.deepEqual(
      find("kubernetes:networking.k8s.io/v1:Ingress", "web-ingress").spec,
      plain(ingressSpec(kubeService())),
    );
    assert.deepEqual(
      find("kubernetes:policy/v1:PodDisruptionBudget", "web-pdb").spec,
      plain(disruptionBudgetSpec(kubeService())),
    );
  });

  it("puts secret values only into the Secrets' data, as Pulumi secrets", () => {
    const env = find("kubernetes:core/v1:Secret", "web-env");
    assert.equal(env.type, "Opaque");
    assert.deepEqual(secrecy(env.stringData), {
      secret: { DB_PASSWORD: "db-pa55word", API_TOKEN: "api-t0ken" },
    });
    const pull = find("kubernetes:core/v1:Secret", "cluster-pull");
    assert.equal(pull.type, "kubernetes.io/dockerconfigjson");
    const data = secrecy(pull.stringData) as { secret: Record<string, string> };
    assert.ok("secret" in data);
    assert.deepEqual(
      JSON.parse(data.secret[".dockerconfigjson"]!).auths["ghcr.io"].password,
      "registry-pa55",
    );
  });

  it("never has a secret value in a plain input", () => {
    // The dynamic provider's serialized code is an input too; it must not capture a secret.
    const text = JSON.stringify(seen.map((entry) => withoutSecrets(entry.inputs)));
    for (const value of SECRET_VALUES) {
      assert.equal(text.includes(value), false, `${value} is in a plain input`);
    }
  });
});
