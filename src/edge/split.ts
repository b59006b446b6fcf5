/**
 * The split file and the split counters of the edge's `slipway_split` module
 * (scripts/engine/caddy/split), as data. The host writes the split file
 * (`split/<service>` in the edge's state directory) with one rename per weight change;
 * Caddy writes the counters (`/run/caddy/split/<service>.json` in its container). This is
 * the one place that renders the one and reads the other.
 */
import { z } from "zod";

/** The largest weight a line may give (the module's `MaxWeight`). */
export const MAX_SPLIT_WEIGHT = 10000;

/** One side of a split: a release's dial addresses (its replicas) and its weight. */
export interface SplitSide {
  /** `<container>:<port>` of each replica of the release. */
  readonly dials: readonly string[];
  /** Relative to the sum of all sides' weights; 0: no request. */
  readonly weight: number;
}

/** A side's name in the counters: its dial addresses as the split file writes them. */
export function sideKey(dials: readonly string[]): string {
  return dials.join(",");
}

const DIAL = /^[^\s,:]+:[0-9]+$/;

/**
 * The split file's text: one `<upstream> <weight>` line per side, in order. The first
 * side takes the lowest client buckets, so the new release goes first: as its weight
 * grows, sticky clients only ever move to it.
 */
export function renderSplit(sides: readonly SplitSide[]): string {
  if (sides.length === 0) {
    throw new Error("a split needs at least one side");
  }
  const seen = new Set<string>();
  for (const side of sides) {
    for (const dial of side.dials) {
      if (!DIAL.test(dial)) {
        throw new Error(`split: ${JSON.stringify(dial)} is not <host>:<port>`);
      }
    }
    if (side.dials.length === 0) {
      throw new Error("split: a side without a dial address");
    }
    if (!Number.isInteger(side.weight) || side.weight < 0 || side.weight > MAX_SPLIT_WEIGHT) {
      throw new Error(
        `split: weight ${side.weight} is not a whole number from 0 to ${MAX_SPLIT_WEIGHT}`,
      );
    }
    const key = sideKey(side.dials);
    if (seen.has(key)) {
      throw new Error(`split: ${key} is on two sides`);
    }
    seen.add(key);
  }
  if (sides.every((side) => side.weight === 0)) {
    throw new Error("split: every weight is 0");
  }
  return splitText(sides.map((side) => [sideKey(side.dials), side.weight]));
}

/** The lines of a split file: `<upstream> <weight>` each. The one writer of the format. */
function splitText(lines: readonly (readonly [string, number])[]): string {
  return lines.map(([upstream, weight]) => `${upstream} ${weight}\n`).join("");
}

/** A canary step's split: `weight`% to the new release (first), the rest to the old one. */
export function canarySplit(
  next: readonly string[],
  previous: readonly string[],
  weight: number,
): string {
  return renderSplit([
    { dials: next, weight },
    { dials: previous, weight: 100 - weight },
  ]);
}

/**
 * Stand-ins for the two sides of a canary step's split file, which the host's deploy script
 * replaces with the releases' dial addresses (`sed`, sh/deploy-canary.sh): the new release's
 * container is named on the host (its name hashes a host-local salt), the old one is what the
 * service's upstream file says there.
 */
export const CANARY_NEXT = "@next";
export const CANARY_PREVIOUS = "@previous";

/**
 * A canary step's split file (`canarySplit`) with the stand-ins for its sides: what the deploy
 * script writes at the step of `weight`% once the host put the dial addresses in.
 */
export function canarySplitTemplate(weight: number): string {
  if (!Number.isInteger(weight) || weight < 1 || weight > 99) {
    throw new Error(`split: a canary step's weight ${weight} is not a whole number from 1 to 99`);
  }
  return splitText([
    [CANARY_NEXT, weight],
    [CANARY_PREVIOUS, 100 - weight],
  ]);
}

const sideStatsSchema = z.object({
  requests: z.number().int().min(0),
  errors: z.number().int().min(0),
  latency: z.array(z.number().int().min(0)),
});

/** The counters file the module writes (its `Snapshot`); the one reader of its format. */
export const splitStatsSchema = z.object({
  service: z.string(),
  /** When the counters started: another value means Caddy restarted in between. */
  since: z.string(),
  time: z.string(),
  split: z.array(z.object({ upstream: z.string(), weight: z.number().int() })),
  splitError: z.string(),
  latencyBoundsMs: z.array(z.number()),
  sides: z.record(z.string(), sideStatsSchema),
});

export type SplitStats = z.output<typeof splitStatsSchema>;
export type SideStats = z.output<typeof sideStatsSchema>;

/** Parses the counters file's text; throws naming what is wrong. */
export function parseSplitStats(text: string): SplitStats {
  const parsed = splitStatsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`split stats: ${issue.path.join(".")}: ${issue.message}`);
  }
  const stats = parsed.data;
  for (const [side, counters] of Object.entries(stats.sides)) {
    if (counters.latency.length !== stats.latencyBoundsMs.length + 1) {
      throw new Error(
        `split stats: sides.${side}.latency has ${counters.latency.length} buckets, not ${stats.latencyBoundsMs.length + 1}`,
      );
    }
  }
  return stats;
}
