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
    raw.service.name = "Web_1";
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
        "slipway:service.name: is not a container name: lowercase letters, digits, _ . -",
        "slipway:kubernetes.kubeconfig: must be a secret, not plain text; set it with: pulumi config set --secret --path 'slipway:kubernetes.kubeconfig' <value>",
        "slipway:kubernetes.namespace: is not a DNS label: at most 63 lowercase letters, digits and -, starting and ending with a letter or digit",
        "slipway:kubernetes.replicas: must be at least 1",
        "slipway:kubernetes.cpu: is not a Kubernetes quantity, e.g. 100m, 0.5, 64Mi, 1Gi",
        "slipway:kubernetes.nodePort: must be a NodePort between 30000 and 32767",
        "slipway:kubernetes.kubeconfigFile: is set together with kubeconfig; keep one",
        'slipway:service.name: "Web_1" cannot name Kubernetes objects (a DNS label: lowercase letters, digits and -); set slipway:service.name',
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
    delete noService.service;
    assert.deepEqual(
      issuesOf(noService).map((issue) => `${issue.path}: ${issue.message}`),
      [
        "slipway:services: is required when slipway:target is kubernetes: what should run on the cluster? (one service: slipway:services.<name>, or slipway:service)",
      ],
    );
    const target = base();
    target.target = "nomad";
    assert.deepEqual(
      issuesOf(target).map((issue) => `${issue.path}: ${issue.message}`),
      ['slipway:target: "nomad" is not one of ssh, kubernetes'],
    );
  });

  it("takes one service of slipway:services, and refuses several, a worker and accessories", () => {
    const one = kube();
    delete one.service;
    one.services = { web: { image: "web", routes: [{ host: "web.example.com" }], replicas: 3 } };
    const config = validateConfig("dev", one);
    assert.deepEqual(
      config.services.map((s) => [s.name, s.replicas]),
      [["web", 3]],
    );
    const several = kube();
    delete several.service;
    several.services = {
      web: { image: "web", routes: [{ host: "web.example.com" }] },
      worker: { image: "web" },
    };
    several.accessories = { postgres: { image: "web" } };
    assert.deepEqual(
      issuesOf(several).map((issue) => `${issue.path}: ${issue.message}`),
      [
        "slipway:services: declares 2 services; the kubernetes target deploys one service per stack today (give each service its own stack, or run them on SSH hosts)",
        "slipway:services.worker.routes: is empty: a worker (no routes, no HTTP health path) is not supported on the kubernetes target yet; give it a route, or run it on SSH hosts",
        "slipway:accessories: are containers on SSH hosts; on the kubernetes target run the database as a StatefulSet or a managed service, and give the services its address in env",
      ],
    );
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
    raw.service.release = { command: ["./migrate"] };
    assert.deepEqual(
      issuesOf(raw).map((issue) => `${issue.path}: ${issue.message}`),
      [
        "slipway:service.release: is a release command on SSH hosts; the kubernetes target does not run one yet (run the migration as a Job before slipway promote, or run the service on SSH hosts)",
      ],
    );
  });
});
