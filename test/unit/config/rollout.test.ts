import { strict as assert } from "node:assert";
import { canaryAnalysis, Secret, undrivenRollouts, validateConfig } from "../../../src/config";
import { base, issuesOf } from "./fixtures";

/** A stack with a routed service `web` and a worker `jobs`. */
function stack(): Record<string, any> {
  const raw = base();
  delete raw.service;
  raw.services = {
    web: { routes: [{ host: "web.example.com", tls: true }] },
    jobs: { image: "web", command: ["jobs"] },
  };
  return raw;
}

const CANARY = {
  strategy: "canary",
  steps: [
    { weight: 10, pause: 60 },
    { weight: 50, pause: 60 },
  ],
};

function problems(raw: Record<string, any>): string[] {
  return issuesOf(raw).map((issue) => `${issue.path}: ${issue.message}`);
}

describe("config: rollout (canary, blue/green)", () => {
  it("takes a canary and a blue/green with their defaults into the service", () => {
    const raw = stack();
    raw.services.web.rollout = { ...CANARY, sticky: true, analysis: { maxP95Ms: 300 } };
    raw.services.api = {
      image: "web",
      routes: [{ host: "api.example.com" }],
      rollout: { strategy: "blueGreen", preview: { host: "preview.api.example.com" } },
    };
    const config = validateConfig("dev", raw);
    const web = config.services.find((s) => s.name === "web")!;
    assert.deepEqual(web.rollout, {
      strategy: "canary",
      steps: [
        { weight: 10, pause: 60 },
        { weight: 50, pause: 60 },
      ],
      sticky: true,
      analysis: { maxErrorRate: 1, maxP95Ms: 300, minRequests: 20 },
    });
    assert.deepEqual(canaryAnalysis(web.rollout), {
      maxErrorRate: 1,
      maxP95Ms: 300,
      minRequests: 20,
    });
    assert.deepEqual(config.services.find((s) => s.name === "api")!.rollout, {
      strategy: "blueGreen",
      preview: { host: "preview.api.example.com" },
    });
    assert.equal(config.services.find((s) => s.name === "jobs")!.rollout, undefined);
    assert.deepEqual(canaryAnalysis({ strategy: "canary", steps: [] }), {
      maxErrorRate: 1,
      minRequests: 20,
    });
  });

  const cases: [string, (raw: Record<string, any>) => void, string[]][] = [
    [
      "weights not strictly increasing",
      (raw) => {
        raw.services.web.rollout = {
          strategy: "canary",
          steps: [
            { weight: 10, pause: 60 },
            { weight: 50, pause: 60 },
            { weight: 50, pause: 60 },
            { weight: 20, pause: 60 },
          ],
        };
      },
      [
        "slipway:services.web.rollout.steps[2].weight: is 50, not more than the step before (50); a canary's weights go strictly up, e.g. 10, 50",
        "slipway:services.web.rollout.steps[3].weight: is 20, not more than the step before (50); a canary's weights go strictly up, e.g. 10, 50",
      ],
    ],
    [
      "weights outside 1..99",
      (raw) => {
        raw.services.web.rollout = {
          strategy: "canary",
          steps: [
            { weight: 0, pause: 60 },
            { weight: 12.5, pause: 60 },
            { weight: 100, pause: 60 },
          ],
        };
      },
      [
        "slipway:services.web.rollout.steps[0].weight: must be from 1 to 99: the % of requests the new release gets in this step",
        "slipway:services.web.rollout.steps[1].weight: must be a whole percentage",
        "slipway:services.web.rollout.steps[2].weight: must be from 1 to 99: the % of requests the new release gets in this step (100 comes by itself after the last step)",
      ],
    ],
    [
      "a pause under a second",
      (raw) => {
        raw.services.web.rollout = {
          strategy: "canary",
          steps: [{ weight: 10, pause: 0 }, { weight: 20, pause: 0.5 }, { weight: 30 }],
        };
      },
      [
        "slipway:services.web.rollout.steps[0].pause: must be at least 1 second: the time the step is measured before it is judged",
        "slipway:services.web.rollout.steps[1].pause: must be a whole number of seconds",
        "slipway:services.web.rollout.steps[2].pause: is required",
      ],
    ],
    [
      "analysis thresholds out of range",
      (raw) => {
        raw.services.web.rollout = {
          ...CANARY,
          analysis: { maxErrorRate: 120, maxP95Ms: 0, minRequests: 0 },
        };
      },
      [
        "slipway:services.web.rollout.analysis.maxErrorRate: must be a percentage from 0 to 100 (1: at most 1% of the new release's answers are 5xx)",
        "slipway:services.web.rollout.analysis.maxP95Ms: must be from 1 to 10000 milliseconds (the edge measures latency up to 10 s)",
        "slipway:services.web.rollout.analysis.minRequests: must be from 1 to 1000000: a step with fewer requests to the new release cannot be judged",
      ],
    ],
    [
      "a canary without steps, with a preview",
      (raw) => {
        raw.services.web.rollout = { strategy: "canary", preview: { host: "p.example.com" } };
      },
      [
        "slipway:services.web.rollout.preview: is a blueGreen setting; a canary shares the service's own routes: remove preview, or set strategy: blueGreen",
        "slipway:services.web.rollout.steps: is required for a canary: the weights it walks, e.g. steps: [{weight: 10, pause: 60}, {weight: 50, pause: 60}]",
      ],
    ],
    [
      "a canary on a worker",
      (raw) => {
        raw.services.jobs.rollout = CANARY;
      },
      [
        "slipway:services.jobs.rollout: is a canary, but the service has no routes (a worker): it gets no requests to split or preview; remove rollout, or give the service routes",
      ],
    ],
    [
      "blue/green without a preview route, with canary settings",
      (raw) => {
        raw.services.web.rollout = { strategy: "blueGreen", sticky: true, steps: [] };
      },
      [
        "slipway:services.web.rollout.steps: is a canary setting; blueGreen sends no share of requests to the new release before the switch: remove steps, or set strategy: canary",
        "slipway:services.web.rollout.sticky: is a canary setting; blueGreen sends no share of requests to the new release before the switch: remove sticky, or set strategy: canary",
        "slipway:services.web.rollout.preview: is required for blueGreen: where the new release answers before the switch; set preview.host (e.g. preview.example.com) or preview.header ({name: X-Slipway-Preview, value: <token>})",
      ],
    ],
    [
      "blue/green with a preview host a route has, and both host and header",
      (raw) => {
        raw.services.web.rollout = {
          strategy: "blueGreen",
          preview: { host: "web.example.com", header: { name: "X-Preview", value: "1" } },
        };
      },
      [
        "slipway:services.web.rollout.preview.header: is set together with preview.host; keep one",
        "slipway:services.web.rollout.preview.host: is also a route of service web; a preview host reaches only the new release: give it a host no route has",
      ],
    ],
    [
      "a live digest that is not one, and a live digest on a canary",
      (raw) => {
        raw.services.web.rollout = {
          strategy: "blueGreen",
          preview: { host: "preview.example.com" },
          live: "sha256:abc",
        };
        raw.services.jobs.routes = [{ host: "jobs.example.com" }];
        raw.services.jobs.rollout = { ...CANARY, live: `sha256:${"a".repeat(64)}` };
      },
      [
        "slipway:services.web.rollout.live: a sha256 digest has 64 hex digits after 'sha256:'; this has 3",
        "slipway:services.jobs.rollout.live: is a blueGreen setting; a canary shares the service's own routes: remove live, or set strategy: blueGreen",
      ],
    ],
    [
      "an unknown strategy",
      (raw) => {
        raw.services.web.rollout = { strategy: "rolling" };
      },
      [
        "slipway:services.web.rollout.strategy: must be canary (a share of requests, step by step, judged) or blueGreen (a preview route, then one switch)",
      ],
    ],
  ];
  for (const [what, breakIt, expected] of cases) {
    it(`refuses ${what}, with path and fix`, () => {
      const raw = stack();
      breakIt(raw);
      assert.deepEqual(problems(raw), expected);
    });
  }

  it("refuses both strategies on the kubernetes target, with the way out", () => {
    const raw = base();
    delete raw.hosts;
    delete raw.edge;
    delete raw.images.edge;
    raw.target = "kubernetes";
    raw.kubernetes = { kubeconfig: new Secret("apiVersion: v1\n"), nodePort: 30080 };
    raw.services.web.rollout = CANARY;
    assert.deepEqual(problems(raw), [
      "slipway:services.web.rollout: is a canary through the SSH hosts' edge; the kubernetes target rolls a release out by replacing pods one at a time behind its rollout guard and does not split or preview traffic: remove rollout (see docs/kubernetes.md#progressive-delivery), or run the service on SSH hosts",
    ]);
    raw.services.web.rollout = { strategy: "blueGreen", preview: { host: "preview.example.com" } };
    assert.deepEqual(problems(raw), [
      "slipway:services.web.rollout: is a blueGreen through the SSH hosts' edge; the kubernetes target rolls a release out by replacing pods one at a time behind its rollout guard and does not split or preview traffic: remove rollout (see docs/kubernetes.md#progressive-delivery), or run the service on SSH hosts",
    ]);
  });

  it("is driven for a canary or a blueGreen of one replica; refused before any resource for replicas", () => {
    const raw = stack();
    raw.services.web.rollout = CANARY;
    assert.deepEqual(undrivenRollouts(validateConfig("dev", raw).services), []);
    raw.services.web.replicas = 3;
    assert.deepEqual(undrivenRollouts(validateConfig("dev", raw).services), [
      "slipway:services.web.rollout: is a canary of a service with 3 replicas, which the host deploy does not walk yet (it walks one release container per host): set slipway:services.web.replicas to 1 (a host runs one container of the service), or remove rollout",
    ]);
    raw.services.web.rollout = { strategy: "blueGreen", preview: { host: "preview.example.com" } };
    assert.deepEqual(undrivenRollouts(validateConfig("dev", raw).services), [
      "slipway:services.web.rollout: is a blueGreen of a service with 3 replicas, which the host deploy does not drive yet (it previews one release container per host): set slipway:services.web.replicas to 1 (a host runs one container of the service), or remove rollout",
    ]);
    delete raw.services.web.replicas;
    assert.deepEqual(undrivenRollouts(validateConfig("dev", raw).services), []);
    assert.deepEqual(undrivenRollouts(validateConfig("dev", stack()).services), []);
  });
});
