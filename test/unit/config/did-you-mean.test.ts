import { strict as assert } from "node:assert";
import { nearest } from "../../../src/config/did-you-mean";
import { base, issuesOf, issuesWith } from "./fixtures";

describe("unknown keys: did you mean", () => {
  it("nearest: the same name in other case, a swap, a missing or extra letter; nothing far off", () => {
    const keys = ["containerPort", "healthPath", "healthTimeoutSeconds", "replicas"];
    assert.equal(nearest("containerport", keys), "containerPort");
    assert.equal(nearest("healthpaht", keys), "healthPath");
    assert.equal(nearest("replica", keys), "replicas");
    assert.equal(nearest("replicass", keys), "replicas");
    assert.equal(nearest("port", keys), undefined);
    assert.equal(nearest("edg", ["edge"]), "edge");
    assert.equal(nearest("eg", ["edge"]), undefined);
    assert.equal(nearest("slipwya", ["slipway"]), "slipway");
    assert.equal(nearest("Slipway", ["slipway"]), "slipway");
    assert.equal(nearest("kubernetes", ["slipway"]), undefined);
  });

  it("names each unknown key of a service with its path and the key it likely means", () => {
    const raw = base();
    delete raw.services;
    raw.services = {
      web: { containerport: 8080, helthPath: "/up", routes: [{ hots: "web.example.com" }] },
    };
    assert.deepEqual(issuesOf(raw), [
      { path: "slipway:services.web.routes[0].hots", message: "unknown key; did you mean host?" },
      {
        path: "slipway:services.web.containerport",
        message: "unknown key; did you mean containerPort?",
      },
      { path: "slipway:services.web.helthPath", message: "unknown key; did you mean healthPath?" },
    ]);
  });

  it("lists the keys of the map when no key is near, leaving out keys that moved", () => {
    const raw = base();
    raw.edge = { ...raw.edge, certificate: "x" };
    raw.services.web.frobnicate = true;
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:services.web.frobnicate",
        message:
          "unknown key; the keys here are hosts, role, command, env, secretEnv, secretEnvFiles, memory, cpus, " +
          "healthCommand, healthTimeoutSeconds, containerPort, healthPath, drainSeconds, batchSize, keepReleases, " +
          "rollbackWindowSeconds, replicas, release, rollout, image, routes, worker (docs/configuration.md)",
      },
      {
        path: "slipway:edge.certificate",
        message:
          "unknown key; the keys here are name, image, httpPort, httpsPort, bind, tls, email (docs/configuration.md)",
      },
    ]);
  });

  it("names an unknown slipway: key and the one it likely means, or every key", () => {
    const raw = base();
    raw.imgaes = raw.images;
    raw.Edge = { image: "edge" };
    raw.frobnicate = true;
    assert.deepEqual(issuesOf(raw), [
      { path: "slipway:imgaes", message: "unknown key; did you mean slipway:images?" },
      { path: "slipway:Edge", message: "unknown key; did you mean slipway:edge?" },
      {
        path: "slipway:frobnicate",
        message:
          "unknown key; the keys here are slipway:role, slipway:version, slipway:builder, slipway:source, slipway:registry, " +
          "slipway:images, slipway:target, slipway:hosts, slipway:service, slipway:services, slipway:accessories, " +
          "slipway:network, slipway:kubernetes, slipway:maintenance, slipway:edge, slipway:github, slipway:attestations, slipway:scan, " +
          "slipway:verify, slipway:promotion (docs/configuration.md)",
      },
    ]);
  });

  it("names a key written with a dot after slipway (slipway.edge), as set with and without --path", () => {
    const raw = base();
    raw["slipway.edge"] = { image: "edge" };
    raw["slipway.registry.namespace"] = "acme";
    raw.slipway = { hosts: [{ name: "web-2" }] };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:slipway.edge",
        message:
          "unknown key: the namespace and the key are separated by a colon; did you mean slipway:edge?",
      },
      {
        path: "slipway:slipway.registry.namespace",
        message:
          "unknown key: the namespace and the key are separated by a colon; did you mean slipway:registry.namespace?",
      },
      {
        path: "slipway:slipway",
        message:
          "unknown key: the namespace and the key are separated by a colon; did you mean slipway:hosts?",
      },
    ]);
  });

  it("refuses a misspelt namespace, and leaves the namespaces of other packages alone", () => {
    assert.deepEqual(
      issuesWith(base(), {
        foreignKeys: [
          "slipwya:edge",
          "Slipway:services",
          "slipway.edge:image",
          "slipwa:registry",
          "pulumi:disable-default-providers",
          "docker-build:host",
          "kubernetes:context",
        ],
      }),
      [
        {
          path: "slipwya:edge",
          message:
            'unknown namespace "slipwya": Slipway reads only slipway:<key>; did you mean slipway:edge?',
        },
        {
          path: "Slipway:services",
          message:
            'unknown namespace "Slipway": Slipway reads only slipway:<key>; did you mean slipway:services?',
        },
        {
          path: "slipway.edge:image",
          message:
            'unknown namespace "slipway.edge": Slipway reads only slipway:<key>; did you mean slipway:edge.image?',
        },
        {
          path: "slipwa:registry",
          message:
            'unknown namespace "slipwa": Slipway reads only slipway:<key>; did you mean slipway:registry?',
        },
      ],
    );
  });
});
