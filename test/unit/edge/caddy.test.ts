import { strict as assert } from "node:assert";
import {
  configParts,
  NO_ROUTE as NO_ROUTE_OBJECT,
  edgeNames,
  GRACE_PERIOD,
  HTTPS_SUFFIX_TOKEN,
  httpsSuffix,
  maintenanceHandler,
  matchKey,
  proxyHandler,
  routeFileText,
  routeLines,
  upstreamMountPath,
} from "../../../src/edge";
import { renderOnHost } from "./render";

/** What every route of `web` ends in: its upstream file, read per request. */
const WEB_PROXY = {
  handler: "reverse_proxy",
  upstreams: [{ dial: "{file./etc/slipway/upstreams/web}" }],
  load_balancing: { try_duration: "250ms", try_interval: "50ms" },
};

/** What every client route of `web` starts with: its maintenance switch, read per request. */
const WEB_MAINTENANCE = {
  handler: "subroute",
  routes: [
    {
      match: [
        {
          file: { root: "/etc/slipway/maintenance/web", try_files: ["/retry-after"] },
          not: [{ remote_ip: { ranges: ["127.0.0.0/8", "::1/128"] } }],
        },
      ],
      handle: [
        {
          handler: "static_response",
          status_code: 503,
          headers: {
            "Retry-After": ["{file./etc/slipway/maintenance/web/retry-after}"],
            "Content-Type": ["text/html; charset=utf-8"],
            "Cache-Control": ["no-store"],
          },
          body: "{file./etc/slipway/maintenance/web/page.html}",
        },
      ],
    },
  ],
};

const HEAD =
  '{"admin":{"listen":"unix//run/caddy/admin.sock","config":{"persist":false}},' +
  '"logging":{"logs":{"default":{"level":"WARN"}}},' +
  '"storage":{"module":"file_system","root":"/data/caddy"},' +
  '"apps":{"http":{"http_port":80,"https_port":443,"grace_period":"30s",' +
  '"servers":{"http":{"listen":[":80"],"routes":[';
/** The last route of each server: requests no service claims get a 404. */
const NO_ROUTE =
  '{"handle":[{"handler":"static_response","status_code":404,"body":"no service is routed here on this host\\n"}]}';
const MID = `${NO_ROUTE}]},"https":{"listen":[":443"],"routes":[`;
const tail = (issuer: string) =>
  `${NO_ROUTE}],"automatic_https":{"disable_redirects":true}}}},` +
  `"tls":{"automation":{"policies":[{"issuers":[${issuer}]}]}},` +
  '"pki":{"certificate_authorities":{"local":{"install_trust":false}}}}}';

describe("edge/names: where a host's edge lives", () => {
  it("names the container, network, data volume and state directory after the edge", () => {
    assert.deepEqual(edgeNames("slipway-edge", "/var/lib/slipway"), {
      container: "slipway-edge",
      network: "slipway-edge",
      dataVolume: "slipway-edge-data",
      stateDir: "/var/lib/slipway/_edge/slipway-edge",
    });
    assert.equal(edgeNames("edge", "/srv/slipway/").stateDir, "/srv/slipway/_edge/edge");
  });

  it("reads a service's upstream from the read-only mount of the state directory", () => {
    assert.equal(upstreamMountPath("web"), "/etc/slipway/upstreams/web");
    assert.deepEqual(proxyHandler("web"), WEB_PROXY);
    assert.deepEqual(maintenanceHandler("web"), WEB_MAINTENANCE);
  });
});

describe("edge/caddy: route lines", () => {
  it("a host with TLS and the default redirect: loopback line, 308 redirect, HTTPS line", () => {
    assert.deepEqual(routeLines("web", [{ host: "web.example.com", tls: true }]), [
      {
        sortKey: "299990",
        matchKey: "web.example.com|",
        server: "http",
        json: JSON.stringify({
          match: [
            {
              host: ["web.example.com"],
              remote_ip: { ranges: ["127.0.0.0/8", "::1/128"] },
            },
          ],
          handle: [WEB_PROXY],
          terminal: true,
        }),
      },
      {
        sortKey: "299991",
        matchKey: "web.example.com|",
        server: "http",
        json: JSON.stringify({
          match: [{ host: ["web.example.com"] }],
          handle: [
            {
              handler: "static_response",
              status_code: 308,
              headers: {
                Location: ["https://{http.request.host}__SLIPWAY_HTTPS_SUFFIX__{http.request.uri}"],
              },
            },
          ],
          terminal: true,
        }),
      },
      {
        sortKey: "299991",
        matchKey: "web.example.com|",
        server: "https",
        json: JSON.stringify({
          match: [{ host: ["web.example.com"] }],
          handle: [WEB_MAINTENANCE, WEB_PROXY],
          terminal: true,
        }),
      },
    ]);
    assert.equal(HTTPS_SUFFIX_TOKEN, "__SLIPWAY_HTTPS_SUFFIX__");
  });

  it("TLS without redirect: the same service on HTTP and HTTPS", () => {
    const json = JSON.stringify({
      match: [{ host: ["web.localhost"] }],
      handle: [WEB_MAINTENANCE, WEB_PROXY],
      terminal: true,
    });
    assert.deepEqual(routeLines("web", [{ host: "web.localhost", tls: true, redirect: false }]), [
      { sortKey: "299991", matchKey: "web.localhost|", server: "http", json },
      { sortKey: "299991", matchKey: "web.localhost|", server: "https", json },
    ]);
  });

  it("a catch-all route: one HTTP line without a matcher, sorted last", () => {
    assert.deepEqual(routeLines("web", [{ tls: false }]), [
      {
        sortKey: "599991",
        matchKey: "-|",
        server: "http",
        json: JSON.stringify({ handle: [WEB_MAINTENANCE, WEB_PROXY], terminal: true }),
      },
    ]);
  });

  it("a path route: the prefix and everything below it, passed on unchanged", () => {
    assert.deepEqual(routeLines("api", [{ path: "/api", tls: false }]), [
      {
        sortKey: "499951",
        matchKey: "-|/api",
        server: "http",
        json: JSON.stringify({
          match: [{ path: ["/api", "/api/*"] }],
          handle: [
            maintenanceHandler("api"),
            {
              handler: "reverse_proxy",
              upstreams: [{ dial: "{file./etc/slipway/upstreams/api}" }],
              load_balancing: { try_duration: "250ms", try_interval: "50ms" },
            },
          ],
          terminal: true,
        }),
      },
    ]);
  });

  it("sorts specific before general: host+path, wildcard+path, host, wildcard, path, any", () => {
    const keys = [
      { path: "/a", tls: false },
      { host: "*.example.com", tls: false },
      { tls: false },
      { host: "*.example.com", path: "/a", tls: false },
      { host: "web.example.com", tls: false },
      { host: "web.example.com", path: "/a", tls: false },
      { host: "web.example.com", path: "/a/longer", tls: false },
    ].map((route) => {
      const [line] = routeLines("web", [route]);
      return `${line!.sortKey} ${line!.matchKey}`;
    });
    assert.deepEqual([...keys].sort(), [
      "099901 web.example.com|/a/longer",
      "099971 web.example.com|/a",
      "199971 *.example.com|/a",
      "299991 web.example.com|",
      "399991 *.example.com|",
      "499971 -|/a",
      "599991 -|",
    ]);
  });

  it("keys what two services must not share by host and path", () => {
    assert.equal(matchKey({}), "-|");
    assert.equal(matchKey({ host: "a.example.com", path: "/x" }), "a.example.com|/x");
  });

  it("writes one line per route line: sort key, match key, server, JSON", () => {
    const lines = routeLines("web", [{ host: "web.localhost", tls: true, redirect: false }]);
    assert.equal(
      routeFileText(lines),
      `299991 web.localhost| http ${lines[0]!.json}\n299991 web.localhost| https ${lines[1]!.json}\n`,
    );
    assert.equal(routeFileText([]), "");
  });
});

describe("edge/caddy: the skeleton", () => {
  it("internal issuer: admin on a unix socket, two servers, no automatic redirects", () => {
    assert.deepEqual(configParts({ tls: "internal" }), {
      head: HEAD,
      mid: MID,
      tail: tail('{"module":"internal"}'),
    });
    assert.equal(GRACE_PERIOD, "30s");
  });

  it("ACME issuer, with and without an account e-mail", () => {
    assert.deepEqual(configParts({ tls: "acme", email: "ops@example.com" }), {
      head: HEAD,
      mid: MID,
      tail: tail('{"module":"acme","email":"ops@example.com"}'),
    });
    assert.equal(configParts({ tls: "acme" }).tail, tail('{"module":"acme"}'));
  });

  it("renders a whole config on the host: routes in place, the HTTPS port in redirect locations", () => {
    const [loopback, redirect, https] = routeLines("web", [{ host: "web.example.com", tls: true }]);
    const text = renderOnHost(
      configParts({ tls: "internal" }),
      { web: routeFileText([loopback!, redirect!, https!]) },
      httpsSuffix(18443),
    );
    const config = JSON.parse(text) as {
      apps: { http: { servers: Record<string, { routes: unknown[] }> } };
    };
    assert.deepEqual(config.apps.http.servers.http!.routes, [
      JSON.parse(loopback!.json),
      {
        match: [{ host: ["web.example.com"] }],
        handle: [
          {
            handler: "static_response",
            status_code: 308,
            headers: { Location: ["https://{http.request.host}:18443{http.request.uri}"] },
          },
        ],
        terminal: true,
      },
      NO_ROUTE_OBJECT,
    ]);
    assert.deepEqual(config.apps.http.servers.https!.routes, [
      JSON.parse(https!.json),
      NO_ROUTE_OBJECT,
    ]);
    assert.deepEqual(JSON.parse(NO_ROUTE), NO_ROUTE_OBJECT);
    assert.ok(!text.includes(HTTPS_SUFFIX_TOKEN));
    assert.equal(
      renderOnHost(configParts({ tls: "internal" }), {}, ""),
      `${HEAD}${MID}${tail('{"module":"internal"}')}`,
    );
  });

  it("leaves the standard HTTPS port out of redirect locations", () => {
    assert.equal(httpsSuffix(443), "");
    assert.equal(httpsSuffix(18443), ":18443");
  });
});
