/**
 * `rollout` of a service: how a new release takes over from the running one. Without it
 * (the default) the edge moves every request at once after the health check. With it:
 *
 * - `canary`: the new release starts beside the old one and gets `weight`% of the requests
 *   for `pause` seconds per step; after each step the edge's own counters for the new
 *   release are judged against `analysis`; a failed step sends every request back to the
 *   old release and removes the new one;
 * - `blueGreen`: a release of another digest than `live` starts beside the serving one and
 *   answers only on a preview route (a host name, or a header); `slipway switch` sets `live`
 *   to it and runs the update, which moves every request to it at once (a rename).
 *
 * The schema checks each field; `rolloutChecks` the rules across fields, routes and target.
 */
import { z } from "zod";
import { digestString, expected, plain } from "./primitives";
import { asList, asMap, has, type Add, type RawMap } from "./raw";

export const ROLLOUT_STRATEGIES = ["canary", "blueGreen"] as const;
export type RolloutStrategy = (typeof ROLLOUT_STRATEGIES)[number];

/** The longest a canary step may last: an hour. */
export const MAX_PAUSE_SECONDS = 3600;

const stepSchema = z.strictObject({
  weight: z
    .number({ error: expected("a percentage of requests") })
    .int("must be a whole percentage")
    .min(1, "must be from 1 to 99: the % of requests the new release gets in this step")
    .max(
      99,
      "must be from 1 to 99: the % of requests the new release gets in this step (100 comes by itself after the last step)",
    )
    .describe("% of requests the new release gets during the step (1–99). Required."),
  pause: z
    .number({ error: expected("a number of seconds") })
    .int("must be a whole number of seconds")
    .min(1, "must be at least 1 second: the time the step is measured before it is judged")
    .max(MAX_PAUSE_SECONDS, `must be at most ${MAX_PAUSE_SECONDS} seconds (an hour)`)
    .describe("Seconds the step lasts before it is judged (1–3600). Required."),
});

const analysisSchema = z.strictObject({
  maxErrorRate: z
    .number({ error: expected("a percentage") })
    .min(
      0,
      "must be a percentage from 0 to 100 (1: at most 1% of the new release's answers are 5xx)",
    )
    .max(
      100,
      "must be a percentage from 0 to 100 (1: at most 1% of the new release's answers are 5xx)",
    )
    .default(1)
    .describe("Most 5xx answers of the new release in a step, in % of its requests."),
  maxP95Ms: z
    .number({ error: expected("milliseconds") })
    .int("must be a whole number of milliseconds")
    .min(1, "must be from 1 to 10000 milliseconds (the edge measures latency up to 10 s)")
    .max(10000, "must be from 1 to 10000 milliseconds (the edge measures latency up to 10 s)")
    .optional()
    .describe(
      "Slowest 95th percentile of the new release's answers in a step, in ms; unset: latency is not judged.",
    ),
  minRequests: z
    .number({ error: expected("a number of requests") })
    .int("must be a whole number of requests")
    .min(
      1,
      "must be from 1 to 1000000: a step with fewer requests to the new release cannot be judged",
    )
    .max(
      1000000,
      "must be from 1 to 1000000: a step with fewer requests to the new release cannot be judged",
    )
    .default(20)
    .describe(
      "Fewest requests the new release must answer in a step for it to be judged; fewer fails the step.",
    ),
});

const previewSchema = z.strictObject({
  host: plain
    .optional()
    .describe(
      "A host name that reaches the new release before the switch, e.g. preview.example.com.",
    ),
  header: z
    .strictObject({
      name: plain.describe("Header name, e.g. X-Slipway-Preview. Required."),
      value: plain.describe("The value that selects the preview. Required."),
    })
    .optional()
    .describe(
      "A request header that reaches the new release before the switch, on the service's own routes.",
    ),
});

export const rolloutSchema = z.strictObject({
  strategy: z
    .enum(ROLLOUT_STRATEGIES, {
      error:
        "must be canary (a share of requests, step by step, judged) or blueGreen (a preview route, then one switch)",
    })
    .describe("`canary` or `blueGreen`. Required."),
  steps: z
    .array(stepSchema)
    .optional()
    .describe(
      "canary: the steps, weights strictly increasing, e.g. [{weight: 10, pause: 60}, {weight: 50, pause: 60}]; then 100%.",
    ),
  analysis: analysisSchema
    .optional()
    .describe("canary: what a step must meet, from the edge's own counters for the new release."),
  sticky: z
    .boolean({ error: expected("true or false") })
    .optional()
    .describe("canary: a client stays on one side for the whole step (a cookie); default false."),
  preview: previewSchema
    .optional()
    .describe(
      "blueGreen: where the new release answers before the switch: host or header. Required for blueGreen.",
    ),
  live: digestString
    .optional()
    .describe(
      "blueGreen: the digest every user gets (`sha256:…`), written by `slipway switch` (and by `slipway rollback`). A release of another digest answers only on the preview route until then. Unset: the first release serves at once, every later one waits on the preview route.",
    ),
});

export type RolloutConfig = z.output<typeof rolloutSchema>;
export type CanaryStep = z.output<typeof stepSchema>;
export type CanaryAnalysis = z.output<typeof analysisSchema>;

/** The analysis thresholds with their defaults, as the release judges a step. */
export function canaryAnalysis(rollout: RolloutConfig): CanaryAnalysis {
  return rollout.analysis ?? analysisSchema.parse({});
}

const CANARY_ONLY = ["steps", "analysis", "sticky"] as const;
const BLUE_GREEN_ONLY = ["preview", "live"] as const;

/** One service's rollout rules across fields, its routes and the stack's target. */
function serviceRolloutChecks(
  key: string,
  at: readonly PropertyKey[],
  entry: RawMap,
  routed: boolean,
  kubernetes: boolean,
  add: Add,
): void {
  const rollout = asMap(entry.rollout);
  if (rollout === undefined) {
    return;
  }
  const here = [...at, "rollout"];
  const strategy = rollout.strategy;
  if (strategy !== "canary" && strategy !== "blueGreen") {
    return; // the schema names the strategies
  }
  if (kubernetes) {
    add(
      key,
      here,
      `is a ${strategy} through the SSH hosts' edge; the kubernetes target rolls a release out by replacing pods one at a time behind its rollout guard and does not split or preview traffic: remove rollout (see docs/kubernetes.md#progressive-delivery), or run the service on SSH hosts`,
    );
    return;
  }
  if (!routed) {
    add(
      key,
      here,
      `is a ${strategy}, but the service has no routes (a worker): it gets no requests to split or preview; remove rollout, or give the service routes`,
    );
  }
  if (strategy === "canary") {
    for (const field of BLUE_GREEN_ONLY) {
      if (has(rollout, field)) {
        add(
          key,
          [...here, field],
          `is a blueGreen setting; a canary shares the service's own routes: remove ${field}, or set strategy: blueGreen`,
        );
      }
    }
    const steps = asList(rollout.steps);
    if (!has(rollout, "steps") || (Array.isArray(rollout.steps) && steps.length === 0)) {
      add(
        key,
        [...here, "steps"],
        "is required for a canary: the weights it walks, e.g. steps: [{weight: 10, pause: 60}, {weight: 50, pause: 60}]",
      );
    }
    let previous: number | undefined;
    steps.forEach((value, index) => {
      const weight = asMap(value)?.weight;
      if (typeof weight !== "number") {
        return;
      }
      if (previous !== undefined && weight <= previous) {
        add(
          key,
          [...here, "steps", index, "weight"],
          `is ${weight}, not more than the step before (${previous}); a canary's weights go strictly up, e.g. 10, 50`,
        );
      }
      previous = weight;
    });
    return;
  }
  for (const field of CANARY_ONLY) {
    if (has(rollout, field)) {
      add(
        key,
        [...here, field],
        `is a canary setting; blueGreen sends no share of requests to the new release before the switch: remove ${field}, or set strategy: canary`,
      );
    }
  }
  const preview = asMap(rollout.preview);
  if (!has(preview, "host") && !has(preview, "header")) {
    add(
      key,
      [...here, "preview"],
      "is required for blueGreen: where the new release answers before the switch; set preview.host (e.g. preview.example.com) or preview.header ({name: X-Slipway-Preview, value: <token>})",
    );
  } else if (has(preview, "host") && has(preview, "header")) {
    add(key, [...here, "preview", "header"], "is set together with preview.host; keep one");
  }
}

/** Host names routed by any service of the stack, with the service. */
function routedHosts(raw: RawMap): Map<string, string> {
  const hosts = new Map<string, string>();
  for (const [name, value] of Object.entries(asMap(raw.services) ?? {})) {
    for (const route of asList(asMap(value)?.routes)) {
      const host = asMap(route)?.host;
      if (typeof host === "string" && !hosts.has(host)) {
        hosts.set(host, name);
      }
    }
  }
  return hosts;
}

/** Every rollout rule of `slipway:services.<name>.rollout`. */
export function rolloutChecks(raw: RawMap, add: Add): void {
  const kubernetes = raw.target === "kubernetes";
  const hosts = routedHosts(raw);
  const check = (key: string, at: readonly PropertyKey[], entry: RawMap, routed: boolean) => {
    serviceRolloutChecks(key, at, entry, routed, kubernetes, add);
    const host = asMap(asMap(asMap(entry.rollout)?.preview))?.host;
    const owner = typeof host === "string" ? hosts.get(host) : undefined;
    if (owner !== undefined) {
      add(
        key,
        [...at, "rollout", "preview", "host"],
        `is also a route of service ${owner}; a preview host reaches only the new release: give it a host no route has`,
      );
    }
  };
  for (const [name, value] of Object.entries(asMap(raw.services) ?? {})) {
    const entry = asMap(value);
    if (entry !== undefined) {
      check("services", [name], entry, asList(entry.routes).length > 0 && entry.worker !== true);
    }
  }
}

/**
 * The services whose `rollout` the host deploy does not drive yet, one refusal each: a canary
 * or a blue/green of a service with replicas (the deploy walks the steps, or keeps the preview,
 * for one release container per host). A stack with one is refused before any resource
 * (stacks/index.ts) rather than given a release that switches every request at once.
 */
export function undrivenRollouts(
  services: readonly {
    readonly name: string;
    readonly replicas: number;
    readonly rollout?: RolloutConfig;
  }[],
): string[] {
  return services.flatMap((service) => {
    const at = `slipway:services.${service.name}`;
    if (service.rollout === undefined) {
      return [];
    }
    switch (service.rollout.strategy) {
      case "canary":
        return service.replicas === 1
          ? []
          : [
              `${at}.rollout: is a canary of a service with ${service.replicas} replicas, which the host deploy does not walk yet (it walks one release container per host): set ${at}.replicas to 1 (a host runs one container of the service), or remove rollout`,
            ];
      case "blueGreen":
        return service.replicas === 1
          ? []
          : [
              `${at}.rollout: is a blueGreen of a service with ${service.replicas} replicas, which the host deploy does not drive yet (it previews one release container per host): set ${at}.replicas to 1 (a host runs one container of the service), or remove rollout`,
            ];
      default: {
        const never: never = service.rollout.strategy;
        throw new Error(`unknown rollout strategy ${JSON.stringify(never)}`);
      }
    }
  });
}
