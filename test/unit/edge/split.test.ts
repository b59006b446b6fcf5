import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  canarySplit,
  canarySplitTemplate,
  parseSplitStats,
  previewInstance,
  previewRouteLines,
  proxyHandler,
  renderSplit,
  routeLines,
  sideKey,
  splitMountPath,
  splitProxyHandlers,
  splitStatsPath,
} from "../../../src/edge";

/** What the module's writer writes for fixed counters (its Go test compares the same file). */
const GOLDEN = path.join(__dirname, "../../../scripts/engine/caddy/split/testdata/stats.json");

const BOUNDS = [
  1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000,
];

describe("edge: the split file and its counters", () => {
  it("renders one `<upstream> <weight>` line per side, the new release first", () => {
    assert.equal(
      canarySplit(["web-new:8080"], ["web-old-1:8080", "web-old-2:8080"], 10),
      "web-new:8080 10\nweb-old-1:8080,web-old-2:8080 90\n",
    );
    assert.equal(
      canarySplit(["web-new:8080"], ["web-old:8080"], 0),
      "web-new:8080 0\nweb-old:8080 100\n",
    );
    assert.equal(sideKey(["web-old-1:8080", "web-old-2:8080"]), "web-old-1:8080,web-old-2:8080");
  });

  it("renders a canary step with stand-ins for the sides, which the host fills in", () => {
    assert.equal(canarySplitTemplate(10), "@next 10\n@previous 90\n");
    assert.equal(canarySplitTemplate(99), "@next 99\n@previous 1\n");
    for (const weight of [0, 100, 10.5]) {
      assert.throws(() => canarySplitTemplate(weight), {
        message: `split: a canary step's weight ${weight} is not a whole number from 1 to 99`,
      });
    }
  });

  it("refuses what the module would refuse", () => {
    for (const [sides, message] of [
      [[], "a split needs at least one side"],
      [[{ dials: ["web new:8080"], weight: 1 }], 'split: "web new:8080" is not <host>:<port>'],
      [[{ dials: ["web"], weight: 1 }], 'split: "web" is not <host>:<port>'],
      [[{ dials: [], weight: 1 }], "split: a side without a dial address"],
      [
        [{ dials: ["a:1"], weight: 10.5 }],
        "split: weight 10.5 is not a whole number from 0 to 10000",
      ],
      [[{ dials: ["a:1"], weight: 0 }], "split: every weight is 0"],
      [
        [
          { dials: ["a:1"], weight: 1 },
          { dials: ["a:1"], weight: 2 },
        ],
        "split: a:1 is on two sides",
      ],
    ] as const) {
      assert.throws(() => renderSplit(sides), { message });
    }
  });

  it("reads the counters file the module writes", () => {
    const golden = parseSplitStats(fs.readFileSync(GOLDEN, "utf8"));
    assert.equal(golden.service, "web");
    assert.deepEqual(golden.split, [
      { upstream: "web-new:8080", weight: 10 },
      { upstream: "web-old-1:8080,web-old-2:8080", weight: 90 },
    ]);
    assert.deepEqual(golden.latencyBoundsMs, BOUNDS);
    assert.deepEqual(golden.sides["web-new:8080"]!.requests, 112);
    assert.deepEqual(golden.sides["web-new:8080"]!.errors, 23);
    assert.throws(
      () => parseSplitStats(JSON.stringify({ ...golden, sides: { a: { requests: 1 } } })),
      {
        message: "split stats: sides.a.errors: Invalid input: expected number, received undefined",
      },
    );
    assert.throws(
      () =>
        parseSplitStats(
          JSON.stringify({ ...golden, sides: { a: { requests: 1, errors: 0, latency: [1] } } }),
        ),
      { message: "split stats: sides.a.latency has 1 buckets, not 21" },
    );
  });
});

describe("edge: routes of a service with a rollout", () => {
  const route = { host: "web.example.com", tls: false };

  it("put the split handler before reverse_proxy, whose source falls back to the upstream files", () => {
    const [split, proxy] = splitProxyHandlers("web", ["web", "web.1"], { sticky: true });
    assert.deepEqual(split, {
      handler: "slipway_split",
      service: "web",
      split_file: "/etc/slipway/split/web",
      stats_file: "/run/caddy/split/web.json",
      sticky: true,
    });
    assert.deepEqual(proxy, {
      handler: "reverse_proxy",
      dynamic_upstreams: {
        source: "slipway_split",
        fallback: ["{file./etc/slipway/upstreams/web}", "{file./etc/slipway/upstreams/web.1}"],
      },
      load_balancing: { try_duration: "250ms", try_interval: "50ms" },
    });
    assert.equal(splitMountPath("web"), "/etc/slipway/split/web");
    assert.equal(splitStatsPath("web"), "/run/caddy/split/web.json");
    assert.deepEqual(splitProxyHandlers("web", ["web"], { sticky: false })[0], {
      handler: "slipway_split",
      service: "web",
      split_file: "/etc/slipway/split/web",
      stats_file: "/run/caddy/split/web.json",
    });
  });

  it("end in the split handlers on every line; without a rollout, in proxyHandler as before", () => {
    const plain = routeLines("web", [route]);
    const split = routeLines("web", [route], ["web"], { sticky: false });
    assert.equal(split.length, plain.length);
    const handlers = split.map((line) => (JSON.parse(line.json) as { handle: unknown[] }).handle);
    assert.deepEqual(
      handlers.map((handle) => handle.map((h) => (h as { handler: string }).handler)),
      [["subroute", "slipway_split", "reverse_proxy"]],
    );
    assert.deepEqual(
      plain.map((line) => (JSON.parse(line.json) as { handle: unknown[] }).handle.at(-1)),
      [proxyHandler("web")],
    );
    // The loopback line of a TLS route with a redirect goes through the split too.
    const tls = routeLines("web", [{ host: "web.example.com", tls: true }], ["web"], {
      sticky: false,
    });
    assert.deepEqual(
      tls.map((line) =>
        (JSON.parse(line.json) as { handle: { handler: string }[] }).handle.map((h) => h.handler),
      ),
      [
        ["slipway_split", "reverse_proxy"],
        ["static_response"],
        ["subroute", "slipway_split", "reverse_proxy"],
      ],
    );
  });
});

describe("edge: the preview routes of a blue/green service", () => {
  const PREVIEW_PROXY = {
    handler: "reverse_proxy",
    upstreams: [{ dial: "{file./etc/slipway/upstreams/web.preview}" }],
    load_balancing: { try_duration: "250ms", try_interval: "50ms" },
  };

  it("a preview host: its own lines, HTTPS too when a route of the service has TLS", () => {
    const routes = [{ host: "web.example.com", tls: true }];
    const value = JSON.stringify({
      match: [{ host: ["preview.example.com"] }],
      handle: [PREVIEW_PROXY],
      terminal: true,
    });
    assert.equal(previewInstance("web"), "web.preview");
    assert.deepEqual(
      previewRouteLines("web", routes, { host: "preview.example.com" }, [previewInstance("web")]),
      [
        { sortKey: "299991", matchKey: "preview.example.com|", server: "http", json: value },
        { sortKey: "299991", matchKey: "preview.example.com|", server: "https", json: value },
      ],
    );
    assert.deepEqual(
      previewRouteLines("web", [{ tls: false }], { host: "preview.example.com" }, [
        "web.preview",
      ]).map((l) => l.server),
      ["http"],
    );
  });

  it("a preview header: each route with the header, before the route's own lines", () => {
    const routes = [
      { host: "web.example.com", tls: true },
      { path: "/api", tls: false },
    ];
    const lines = previewRouteLines(
      "web",
      routes,
      { header: { name: "X-Slipway-Preview", value: "t0ken" } },
      ["web.preview", "web.preview.1"],
    );
    const proxy = {
      ...PREVIEW_PROXY,
      upstreams: [
        { dial: "{file./etc/slipway/upstreams/web.preview}" },
        { dial: "{file./etc/slipway/upstreams/web.preview.1}" },
      ],
    };
    assert.deepEqual(lines, [
      {
        sortKey: "299990",
        matchKey: "web.example.com|",
        server: "https",
        json: JSON.stringify({
          match: [{ host: ["web.example.com"], header: { "X-Slipway-Preview": ["t0ken"] } }],
          handle: [proxy],
          terminal: true,
        }),
      },
      {
        sortKey: "499950",
        matchKey: "-|/api",
        server: "http",
        json: JSON.stringify({
          match: [{ path: ["/api", "/api/*"], header: { "X-Slipway-Preview": ["t0ken"] } }],
          handle: [proxy],
          terminal: true,
        }),
      },
    ]);
    // Sorted before the routes' own lines.
    const own = routeLines("web", routes);
    for (const preview of lines) {
      const first = own.find(
        (l) => l.matchKey === preview.matchKey && l.server === preview.server,
      )!;
      assert.ok(preview.sortKey <= first.sortKey, `${preview.sortKey} after ${first.sortKey}`);
    }
  });
});
