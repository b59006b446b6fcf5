import { strict as assert } from "node:assert";
import { ConfigError, markSecrets, validateConfig } from "../../../src/config";
import { ROOT, sourceFromStackFile } from "../../helpers/stack-files";
import { DIGEST, issuesOf, promote } from "./fixtures";

describe("the checked-in stack files", () => {
  const load = (stack: string) =>
    validateConfig(stack, markSecrets(sourceFromStackFile(stack)), { root: ROOT });
  const CADDY = `docker.io/library/caddy:2.11@sha256:5d3f7c1e9a0b2d4f6e8a0c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d`;

  for (const [stack, role] of [
    ["local", "build"],
    ["dev", "build"],
    ["prod", "promote"],
  ] as const) {
    it(`Pulumi.${stack}.yaml validates`, () => {
      const config = load(stack);
      assert.equal(config.role, role);
      assert.equal(config.github === undefined, stack === "local");
    });
  }

  it("local manages the edge it builds, on loopback ports with the internal CA", () => {
    const config = load("local");
    assert.deepEqual(config.edge, {
      name: "slipway-edge",
      image: "edge",
      bind: "127.0.0.1",
      httpPort: 18080,
      httpsPort: 18443,
      tls: "internal",
    });
    const edge = config.images.find((image) => image.name === "edge");
    assert.ok(edge?.kind === "build");
    assert.equal(edge.build.stamp, "none");
    assert.equal(edge.build.context, "examples/edge");
    assert.deepEqual(
      config.services.map((service) => [service.name, service.image, service.routes]),
      [
        ["api", "api", [{ host: "api.localhost", tls: true, redirect: false }]],
        ["worker", "api", []],
        ["web", "web", [{ host: "web.localhost", tls: true, redirect: false }, { tls: false }]],
      ],
    );
    assert.deepEqual(config.services[1]?.command, ["worker"]);
    assert.deepEqual(
      config.accessories.map((accessory) => [
        accessory.name,
        accessory.image,
        accessory.volumes,
        accessory.ports,
      ]),
      [
        ["postgres", "postgres", { data: "/var/lib/postgresql/data" }, []],
        ["redis", "redis", { data: "/data" }, []],
      ],
    );
  });

  it("dev and prod manage their edge from the pinned Caddy image, with ACME", () => {
    for (const [stack, host] of [
      ["dev", "dev.web.example.com"],
      ["prod", "web.example.com"],
    ] as const) {
      const config = load(stack);
      assert.deepEqual(
        config.edge,
        {
          name: "slipway-edge",
          image: CADDY,
          httpPort: 80,
          httpsPort: 443,
          bind: "0.0.0.0",
          tls: "acme",
          email: "ops@example.com",
        },
        stack,
      );
      assert.deepEqual(config.services[0]?.routes, [{ host, tls: true }], stack);
    }
  });

  it("local-prod, once promoted into, routes through the edge local manages", () => {
    const source = sourceFromStackFile("local-prod");
    const config = validateConfig(
      "local-prod",
      markSecrets({
        ...source,
        values: {
          ...source.values,
          images: {
            web: { pin: { digest: DIGEST } },
            api: { pin: { digest: DIGEST } },
            postgres: { pin: { digest: DIGEST } },
          },
        },
      }),
      { root: ROOT },
    );
    assert.equal(config.role, "promote");
    assert.deepEqual(config.edge, {
      name: "slipway-edge",
      httpPort: 80,
      httpsPort: 443,
      bind: "0.0.0.0",
      tls: "acme",
    });
    assert.deepEqual(
      config.services.map((service) => [service.name, service.image, service.routes]),
      [
        ["api-prod", "api", [{ host: "api-prod.localhost", tls: true, redirect: false }]],
        ["web-prod", "web", [{ host: "web-prod.localhost", tls: true, redirect: false }]],
      ],
    );
    assert.deepEqual(
      config.accessories.map((accessory) => [accessory.name, accessory.image]),
      [["postgres", "postgres"]],
    );
  });
});

describe("the local stacks on the cluster", () => {
  const load = (stack: string, images?: Record<string, unknown>) => {
    const source = sourceFromStackFile(stack);
    return validateConfig(
      stack,
      markSecrets(
        images === undefined ? source : { ...source, values: { ...source.values, images } },
      ),
      { root: ROOT },
    );
  };

  it("local-k8s is the local stack's service set on Kubernetes, its routes as Ingress rules", () => {
    const ssh = load("local");
    const kube = load("local-k8s");
    assert.equal(kube.role, "build");
    assert.equal(kube.target, "kubernetes");
    assert.deepEqual(kube.kubernetes, {
      kubeconfigFile: "~/.cache/slipway/state/cluster/admin.kubeconfig",
      namespace: "slipway-local-k8s",
      createNamespace: true,
      replicas: 1,
      cpu: "20m",
      memory: "32Mi",
      ingressClassName: "traefik",
      volumeSize: "256Mi",
    });
    // The same services, images, commands, env and replicas as the SSH stack; the routes
    // without the edge's redirect setting.
    const shape = (config: typeof ssh) =>
      config.services.map((service) => [
        service.name,
        service.image,
        service.replicas,
        service.command,
        service.env,
        service.routes.map((route) => ({ ...route, redirect: undefined })),
      ]);
    assert.deepEqual(shape(kube), shape(ssh));
    assert.deepEqual(
      kube.accessories.map((accessory) => [accessory.name, accessory.image, accessory.volumes]),
      ssh.accessories.map((accessory) => [accessory.name, accessory.image, accessory.volumes]),
    );
    assert.deepEqual(kube.images.map((image) => image.name).sort(), [
      "api",
      "postgres",
      "redis",
      "web",
    ]);
  });

  it("local-k8s-prod, once promoted into, is its promote twin in its own namespace", () => {
    const pins = Object.fromEntries(
      ["web", "api", "postgres"].map((image) => [image, { pin: { digest: DIGEST } }]),
    );
    const config = load("local-k8s-prod", pins);
    assert.equal(config.role, "promote");
    assert.equal(config.kubernetes?.namespace, "slipway-local-k8s-prod");
    assert.equal(config.kubernetes?.ingressClassName, "traefik");
    assert.deepEqual(
      config.services.map((service) => [service.name, service.image, service.routes]),
      [
        ["api-prod", "api", [{ host: "api-prod.localhost", tls: true }]],
        ["web-prod", "web", [{ host: "web-prod.localhost", tls: true }]],
      ],
    );
    assert.deepEqual(
      config.accessories.map((accessory) => [accessory.name, accessory.image]),
      [["postgres", "postgres"]],
    );
  });
});

describe("a promote stack before its first promotion", () => {
  it("says to promote into it, and nothing else", () => {
    const raw = promote();
    raw.images = {};
    raw.services = { web: { routes: [{}] } };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:images",
        message:
          "pins no image yet: a promote stack runs what a build stack produced; run slipway promote --from <build stack> --to <this stack>",
      },
    ]);
  });

  it("Pulumi.local-prod.yaml is exactly in that state", () => {
    assert.throws(
      () =>
        validateConfig("local-prod", markSecrets(sourceFromStackFile("local-prod")), {
          root: ROOT,
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues.length === 1 &&
        error.issues[0]!.path === "slipway:images",
    );
  });
});
