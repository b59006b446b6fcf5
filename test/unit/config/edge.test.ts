import { strict as assert } from "node:assert";
import { validateConfig } from "../../../src/config";
import { base, DIGEST, issuesOf } from "./fixtures";

describe("service routes", () => {
  function withRoutes(routes: unknown[]): Record<string, any> {
    const raw = base();
    raw.services.web.routes = routes;
    return raw;
  }

  it("an empty route is every request on HTTP; a service drains for 1 s", () => {
    const raw = base();
    raw.services.web = { routes: [{}] };
    const service = validateConfig("dev", raw).services[0];
    assert.deepEqual(service?.routes, [{ tls: false }]);
    assert.equal(service?.drainSeconds, 1);
  });

  it("rejects TLS without a host", () => {
    assert.deepEqual(issuesOf(withRoutes([{ path: "/api", tls: true }])), [
      {
        path: "slipway:services.web.routes[0].tls",
        message: "needs a host: a certificate is issued for a host name (set routes[].host)",
      },
    ]);
  });

  it("rejects a redirect without TLS", () => {
    assert.deepEqual(issuesOf(withRoutes([{ host: "web.example.com", redirect: true }])), [
      {
        path: "slipway:services.web.routes[0].redirect",
        message: "redirects to HTTPS, so it needs tls: true",
      },
    ]);
  });

  it("rejects two routes that match the same requests", () => {
    assert.deepEqual(
      issuesOf(
        withRoutes([
          { host: "web.example.com", path: "/api" },
          { host: "web.example.com" },
          { host: "web.example.com", path: "/api", tls: true },
          {},
          { tls: false },
        ]),
      ),
      [
        {
          path: "slipway:services.web.routes[2]",
          message:
            "matches the same requests as routes[0] (host web.example.com, path /api); remove one",
        },
        {
          path: "slipway:services.web.routes[4]",
          message: "matches the same requests as routes[3] (host any, path any); remove one",
        },
      ],
    );
  });

  it("rejects a host that is not a DNS name and a path that is not a prefix", () => {
    assert.deepEqual(
      issuesOf(
        withRoutes([
          { host: "Web.Example.com" },
          { host: "web.example.com", path: "/api/" },
          { path: "api" },
          { path: "/a b" },
          { host: "*.example.com", path: "/v1/*" },
        ]),
      ),
      [
        {
          path: "slipway:services.web.routes[0].host",
          message: "is not a host name: lowercase DNS labels (a-z, 0-9, -), optionally *.",
        },
        {
          path: "slipway:services.web.routes[1].path",
          message: "is not a path prefix: starts with /, no trailing /, no spaces or *",
        },
        {
          path: "slipway:services.web.routes[2].path",
          message: "is not a path prefix: starts with /, no trailing /, no spaces or *",
        },
        {
          path: "slipway:services.web.routes[3].path",
          message: "is not a path prefix: starts with /, no trailing /, no spaces or *",
        },
        {
          path: "slipway:services.web.routes[4].path",
          message: "is not a path prefix: starts with /, no trailing /, no spaces or *",
        },
      ],
    );
  });

  it("accepts wildcard hosts, localhost, IPv4 addresses and nested paths", () => {
    const routes = [
      { host: "*.example.com", tls: true },
      { host: "localhost", path: "/v1/admin" },
      { host: "127.0.0.1", redirect: false, tls: true },
    ];
    assert.deepEqual(validateConfig("dev", withRoutes(routes)).services[0]?.routes, [
      { host: "*.example.com", tls: true },
      { host: "localhost", path: "/v1/admin", tls: false },
      { host: "127.0.0.1", redirect: false, tls: true },
    ]);
  });

  it("rejects a health path with a space, and a drain past 600 s", () => {
    const raw = base();
    raw.services.web.healthPath = "/health check";
    raw.services.web.drainSeconds = 601;
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:services.web.healthPath",
        message:
          '"/health check" has a space or control character; a URL path has none (write a space as %20)',
      },
      { path: "slipway:services.web.drainSeconds", message: "must be at most 600" },
    ]);
  });

  it("takes a rollback window of 0 (off) up to a day, 600 s when absent", () => {
    assert.equal(validateConfig("dev", base()).services[0]?.rollbackWindowSeconds, 600);
    const raw = base();
    raw.services.web.rollbackWindowSeconds = -5;
    assert.deepEqual(issuesOf(raw), [
      { path: "slipway:services.web.rollbackWindowSeconds", message: "must be 0 (off) or more" },
    ]);
    raw.services.web.rollbackWindowSeconds = 90000;
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:services.web.rollbackWindowSeconds",
        message: "must be at most 86400 (a day)",
      },
    ]);
    raw.services.web.rollbackWindowSeconds = 0;
    assert.equal(validateConfig("dev", raw).services[0]?.rollbackWindowSeconds, 0);
  });
});

describe("the edge", () => {
  const PINNED = `docker.io/library/caddy:2.11@${DIGEST}`;

  it("is routed through, not managed, without an image; its defaults otherwise", () => {
    const raw = base();
    delete raw.edge;
    delete raw.images.edge;
    assert.deepEqual(validateConfig("dev", raw).edge, {
      name: "slipway-edge",
      httpPort: 80,
      httpsPort: 443,
      bind: "0.0.0.0",
      tls: "acme",
    });
  });

  it("rejects ports, bind and TLS in a stack that does not manage the edge", () => {
    const raw = base();
    raw.services.web.image = "web";
    raw.edge = {
      name: "edge-b",
      httpPort: 8080,
      httpsPort: 8443,
      bind: "127.0.0.1",
      tls: "internal",
    };
    const message =
      "is set, but this stack does not manage the edge (no slipway:edge.image): only the stack that manages a host's edge sets its ports and TLS";
    assert.deepEqual(issuesOf(raw), [
      { path: "slipway:edge.httpPort", message },
      { path: "slipway:edge.httpsPort", message },
      { path: "slipway:edge.bind", message },
      { path: "slipway:edge.tls", message },
    ]);
    raw.edge = { email: "ops@example.com" };
    assert.deepEqual(issuesOf(raw), [{ path: "slipway:edge.email", message }]);
  });

  it("rejects an image that is neither one of slipway:images nor pinned", () => {
    const raw = base();
    raw.services.web.image = "web";
    raw.edge.image = "caddy:2.11";
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:edge.image",
        message:
          '"caddy:2.11" is neither in slipway:images (web, edge) nor a pinned repository@sha256:<digest>',
      },
    ]);
  });

  it("rejects a malformed pinned reference", () => {
    for (const image of [
      "docker.io/library/caddy@sha256:abc",
      `docker.io/library/caddy@sha256:${"AB".repeat(32)}`,
      `docker.io/library/caddy@sha512:${"ab".repeat(32)}`,
    ]) {
      const raw = base();
      raw.services.web.image = "web";
      raw.edge.image = image;
      assert.deepEqual(
        issuesOf(raw),
        [
          {
            path: "slipway:edge.image",
            message:
              "give a pinned reference: registry/repository@sha256:<64 hex>, e.g. docker.io/library/caddy@sha256:…",
          },
        ],
        image,
      );
    }
  });

  // The edge script parses the image with parseDigestReference; a reference it refuses
  // must be refused here, with its config path, not when the program builds the script.
  it("rejects a pinned reference without a registry, as the edge script would", () => {
    const raw = base();
    raw.services.web.image = "web";
    raw.edge.image = `caddy@${DIGEST}`;
    assert.deepEqual(
      issuesOf(raw).map((issue) => issue.path),
      ["slipway:edge.image"],
    );
  });

  it("accepts a pinned reference, with or without a tag", () => {
    for (const image of [PINNED, `docker.io/library/caddy@${DIGEST}`]) {
      const raw = base();
      raw.services.web.image = "web";
      raw.edge.image = image;
      assert.equal(validateConfig("dev", raw).edge.image, image);
    }
  });

  it("rejects the same port for HTTP and HTTPS", () => {
    const raw = base();
    raw.edge.httpPort = 8443;
    raw.edge.httpsPort = 8443;
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:edge.httpsPort",
        message: "is the same port as httpPort (8443); the edge needs two ports",
      },
    ]);
    const defaults = base();
    defaults.edge.httpPort = 443;
    assert.deepEqual(issuesOf(defaults), [
      {
        path: "slipway:edge.httpsPort",
        message: "is the same port as httpPort (443); the edge needs two ports",
      },
    ]);
  });

  it("rejects a bind that is not an IPv4 address, an unknown issuer and a bad e-mail", () => {
    const raw = base();
    raw.edge.bind = "localhost";
    raw.edge.tls = "letsencrypt";
    raw.edge.email = "ops at example.com";
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:edge.bind",
        message: "is not an IPv4 address, e.g. 0.0.0.0 or 127.0.0.1",
      },
      { path: "slipway:edge.tls", message: '"letsencrypt" is not one of acme, internal' },
      { path: "slipway:edge.email", message: "is not an e-mail address" },
    ]);
  });

  it("rejects a build stamp that does not exist", () => {
    const raw = base();
    raw.images.edge.build.stamp = "never";
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:images.edge.build.stamp",
        message: '"never" is not one of commit, context, none',
      },
    ]);
  });
});
