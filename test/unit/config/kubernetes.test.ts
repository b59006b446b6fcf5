import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Secret, validateConfig } from "../../../src/config";
import { base, issuesOf } from "./fixtures";

/** A valid Kubernetes-target config: the base one without hosts and edge. */
function kube(): Record<string, any> {
  const raw = base();
  delete raw.hosts;
  delete raw.edge;
  delete raw.images.edge;
  raw.target = "kubernetes";
  raw.kubernetes = { kubeconfig: new Secret("apiVersion: v1\n"), nodePort: 30080 };
  return raw;
}

describe("config: slipway:target kubernetes", () => {
  it("fills in the defaults: ssh target, or the cluster settings and namespace slipway-<stack>", () => {
    assert.equal(validateConfig("prod", base()).target, "ssh");
    assert.equal(validateConfig("prod", base()).kubernetes, undefined);
    const config = validateConfig("prod", kube());
    assert.equal(config.target, "kubernetes");
    const { kubeconfig, ...rest } = config.kubernetes!;
    assert.equal(String(kubeconfig), "[secret]");
    assert.deepEqual(rest, {
      createNamespace: true,
      replicas: 2,
      cpu: "50m",
      memory: "64Mi",
      nodePort: 30080,
      volumeSize: "1Gi",
      namespace: "slipway-prod",
    });
    const noSection = kube();
    delete noSection.kubernetes;
    assert.equal(validateConfig("dev", noSection).kubernetes?.namespace, "slipway-dev");
  });

  it("reports every problem with its path and fix, before any resource", () => {
    const raw = kube();
    raw.hosts = [{ name: "web-1", privateKey: new Secret("K") }];
    raw.edge = { image: `docker.io/library/caddy@sha256:${"cd".repeat(32)}` };
    raw.services.web.role = "web";
    raw.kubernetes = {
      kubeconfig: "plain text",
      kubeconfigFile: "~/kube",
      replicas: 0,
      cpu: "lots",
      nodePort: 80,
      namespace: "Prod",
    };
    assert.deepEqual(
      issuesOf(raw).map((issue) => `${issue.path}: ${issue.message}`),
      [
        "slipway:kubernetes.kubeconfig: must be a secret, not plain text; set it with: pulumi config set --secret --path 'slipway:kubernetes.kubeconfig' <value>",
        "slipway:kubernetes.namespace: is not a DNS label: at most 63 lowercase letters, digits and -, starting and ending with a letter or digit",
        "slipway:kubernetes.replicas: must be at least 1",
        "slipway:kubernetes.cpu: is not a Kubernetes quantity, e.g. 100m, 0.5, 64Mi, 1Gi",
        "slipway:kubernetes.nodePort: must be a NodePort between 30000 and 32767",
        'slipway:services.web.role: no host has role "web"; add it to a host\'s roles in slipway:hosts',
        "slipway:kubernetes.kubeconfigFile: is set together with kubeconfig; keep one",
        "slipway:services.web.role: places containers on SSH hosts; on Kubernetes the scheduler places the pods on the cluster's nodes: remove role",
        "slipway:hosts: are not used when slipway:target is kubernetes (the cluster runs the service); remove them",
        "slipway:edge.image: is the SSH hosts' edge proxy; on Kubernetes requests reach the service through its Service (nodePort) or an Ingress (ingressClassName); remove it",
      ],
    );
  });

  it("refuses a kubernetes section on an SSH stack, and a Kubernetes stack without a service", () => {
    const ssh = base();
    ssh.kubernetes = { replicas: 2 };
    assert.deepEqual(
      issuesOf(ssh).map((issue) => `${issue.path}: ${issue.message}`),
      [
        "slipway:kubernetes: is read only when slipway:target is kubernetes; set slipway:target to kubernetes, or remove this section",
      ],
    );
    const noService = kube();
    delete noService.services;
    assert.deepEqual(
      issuesOf(noService).map((issue) => `${issue.path}: ${issue.message}`),
      [
        "slipway:services: is required when slipway:target is kubernetes: what should run on the cluster? (slipway:services.<name>)",
      ],
    );
    const target = base();
    target.target = "nomad";
    assert.deepEqual(
      issuesOf(target).map((issue) => `${issue.path}: ${issue.message}`),
      ['slipway:target: "nomad" is not one of ssh, kubernetes'],
    );
  });

  /** The local stack's service set: api (2 replicas), a worker, web; PostgreSQL and Redis. */
  function serviceSet(): Record<string, any> {
    const raw = kube();
    delete raw.services;
    delete raw.kubernetes.nodePort;
    raw.kubernetes.ingressClassName = "caddy";
    raw.images.api = { build: { context: "api" } };
    raw.services = {
      api: {
        replicas: 2,
        routes: [{ host: "api.localhost", tls: true }],
        secretEnv: { PGPASSWORD: new Secret("pw") },
      },
      worker: { image: "api", command: ["worker"], healthCommand: ["/api", "check"] },
      web: { routes: [{ host: "web.localhost" }, {}] },
    };
    raw.accessories = {
      postgres: {
        image: `127.0.0.1:5000/slipway/postgres@sha256:${"ab".repeat(32)}`,
        volumes: { data: "/var/lib/postgresql/data" },
        ports: [{ containerPort: 5432 }],
      },
    };
    return raw;
  }

  it("takes the whole service model: several services, a worker, accessories", () => {
    const config = validateConfig("dev", serviceSet());
    assert.deepEqual(
      config.services.map((s) => [s.name, s.image, s.replicas, s.routes.length, s.command]),
      [
        ["api", "api", 2, 1, []],
        ["worker", "api", 1, 0, ["worker"]],
        ["web", "web", 1, 2, []],
      ],
    );
    assert.deepEqual(
      config.accessories.map((a) => [a.name, a.volumes]),
      [["postgres", { data: "/var/lib/postgresql/data" }]],
    );
  });

  it("refuses what has no Kubernetes meaning, naming the key and what to use instead", () => {
    const raw = serviceSet();
    raw.hosts = [
      { name: "web-1", address: "203.0.113.10", user: "deploy", privateKey: new Secret("K") },
    ];
    raw.services.api.hosts = ["web-1"];
    raw.services.worker.role = "jobs";
    raw.services.web.batchSize = 2;
    raw.services.web.routes[0].redirect = false;
    raw.accessories.postgres.ports = [
      { containerPort: 5432, hostPort: 15432, public: true, bind: "0.0.0.0" },
    ];
    raw.accessories.postgres.role = "db";
    raw.kubernetes.nodePort = 30080;
    assert.deepEqual(
      issuesOf(raw).map((issue) => `${issue.path}: ${issue.message}`),
      [
        'slipway:services.worker.role: no host has role "jobs"; add it to a host\'s roles in slipway:hosts',
        'slipway:accessories.postgres.role: no host has role "db"; add it to a host\'s roles in slipway:hosts',
        "slipway:kubernetes.nodePort: is one port for one routed service, and 2 services have routes; reach them through an Ingress (ingressClassName), or remove nodePort",
        "slipway:services.api.hosts: places containers on SSH hosts; on Kubernetes the scheduler places the pods on the cluster's nodes: remove hosts",
        "slipway:services.worker.role: places containers on SSH hosts; on Kubernetes the scheduler places the pods on the cluster's nodes: remove role",
        "slipway:services.web.batchSize: has no meaning on Kubernetes: a rollout replaces one pod at a time (maxSurge 1, maxUnavailable 0); set replicas, and remove batchSize",
        "slipway:services.web.routes[0].redirect: is the SSH hosts' edge proxy's; on Kubernetes the ingress controller decides HTTP-to-HTTPS redirects (its own settings): remove it",
        "slipway:accessories.postgres.role: places containers on SSH hosts; on Kubernetes the scheduler places the pods on the cluster's nodes: remove role",
        "slipway:accessories.postgres.ports[0].hostPort: publishes on an SSH host; on Kubernetes the services reach the accessory by its name (a headless Service on containerPort), and nothing is published on a node: keep containerPort only",
        "slipway:accessories.postgres.ports[0].bind: publishes on an SSH host; on Kubernetes the services reach the accessory by its name (a headless Service on containerPort), and nothing is published on a node: keep containerPort only",
        "slipway:accessories.postgres.ports[0].public: publishes on an SSH host; on Kubernetes the services reach the accessory by its name (a headless Service on containerPort), and nothing is published on a node: keep containerPort only",
        "slipway:hosts: are not used when slipway:target is kubernetes (the cluster runs the service); remove them",
      ],
    );
  });

  it("refuses names that cannot name a Service, a pod volume or a PersistentVolumeClaim, with the fix", () => {
    const raw = serviceSet();
    raw.services["1api"] = { ...raw.services.api, image: "api" };
    delete raw.services.api;
    const long = "a".repeat(64);
    raw.accessories.postgres.volumes = { [long]: "/data" };
    raw.accessories["r".repeat(53)] = { image: raw.accessories.postgres.image };
    const messages = issuesOf(raw).map((issue) => `${issue.path}: ${issue.message}`);
    assert.deepEqual(messages, [
      'slipway:services["1api"]: is not a valid service name: use lowercase letters, digits and -, starting with a letter and not ending with - (e.g. web or api-worker); rename the key',
      `slipway:accessories.postgres.volumes.${long}: cannot name the pod volume and its PersistentVolumeClaim postgres-<volume> (a DNS label: at most 63 lowercase letters, digits and -); give the volume a shorter name`,
      `slipway:accessories.${"r".repeat(53)}: "${"r".repeat(53)}" cannot name its Kubernetes Service (a DNS-1035 label: a lowercase letter first, then lowercase letters, digits and -, at most 52 characters); rename it`,
    ]);
  });

  it("checks that the kubeconfig file exists on this machine", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-kube-"));
    try {
      const raw = kube();
      raw.kubernetes = { kubeconfigFile: "~/.kube/config" };
      assert.throws(
        () => validateConfig("prod", raw, { home }),
        (error: Error) =>
          error.message.includes(
            `slipway:kubernetes.kubeconfigFile: "~/.kube/config" does not exist (${home}/.kube/config); point it at a kubeconfig`,
          ),
      );
      fs.mkdirSync(path.join(home, ".kube"));
      fs.writeFileSync(path.join(home, ".kube", "config"), "apiVersion: v1\n");
      assert.equal(
        validateConfig("prod", raw, { home }).kubernetes?.kubeconfigFile,
        "~/.kube/config",
      );
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("config: a release command on the kubernetes target", () => {
  it("is refused by path with what to do instead", () => {
    const raw = kube();
    raw.services.web.release = { command: ["./migrate"] };
    assert.deepEqual(
      issuesOf(raw).map((issue) => `${issue.path}: ${issue.message}`),
      [
        "slipway:services.web.release: is a release command on SSH hosts; the kubernetes target does not run one yet (run the migration as a Job before slipway promote, or run the service on SSH hosts)",
      ],
    );
  });
});
