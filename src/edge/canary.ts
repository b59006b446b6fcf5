/**
 * The canary's judgement: from two snapshots of the edge's split counters (the start and
 * the end of a step) the new release's requests, 5xx rate and p95 latency during the step,
 * and the verdict against the service's `rollout.analysis`, worded as the update reports it.
 */
import type { CanaryAnalysis } from "../config/rollout";
import type { SideStats, SplitStats } from "./split";

/** What the new release did during one step. */
export interface StepFigures {
  readonly requests: number;
  /** 5xx answers (a failed dial included). */
  readonly errors: number;
  /** Errors in % of requests; 0 without requests. */
  readonly errorRate: number;
  /** The 95th percentile of latency in ms, from the histogram; undefined without requests. */
  readonly p95Ms: number | undefined;
}

const ZERO: SideStats = { requests: 0, errors: 0, latency: [] };

/**
 * The step's figures of side `upstream` (the split file's first field, `sideKey`): end minus
 * start. Without a start, or when Caddy restarted in between (another `since`), the end's
 * counters are the step's.
 */
export function stepFigures(
  start: SplitStats | undefined,
  end: SplitStats,
  upstream: string,
): StepFigures {
  const before = start !== undefined && start.since === end.since ? start.sides[upstream] : ZERO;
  const after = end.sides[upstream] ?? ZERO;
  const base = before ?? ZERO;
  const requests = after.requests - base.requests;
  const errors = after.errors - base.errors;
  const latency = after.latency.map((count, i) => count - (base.latency[i] ?? 0));
  return {
    requests,
    errors,
    errorRate: requests === 0 ? 0 : (100 * errors) / requests,
    p95Ms: percentile(latency, end.latencyBoundsMs, 95),
  };
}

/**
 * The `p`th percentile of a histogram (counts per bucket of `bounds`, the last bucket
 * unbounded), interpolated linearly inside its bucket; Infinity past the last bound,
 * undefined for an empty histogram.
 */
export function percentile(
  counts: readonly number[],
  bounds: readonly number[],
  p: number,
): number | undefined {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) {
    return undefined;
  }
  const rank = Math.ceil((p / 100) * total);
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!;
    if (count > 0 && below + count >= rank) {
      const upper = bounds[i];
      if (upper === undefined) {
        return Infinity;
      }
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      return lower + ((upper - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return Infinity;
}

/** A step's verdict: `message` is what the update prints, for a pass as for a failure. */
export interface StepVerdict {
  readonly pass: boolean;
  readonly message: string;
}

function percent(value: number): string {
  return `${Number(value.toFixed(1))}%`;
}

function milliseconds(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value)} ms` : "over 10000 ms";
}

/**
 * Judges the new release's figures of the step at `weight`%: too few requests, then the
 * error rate, then the p95 (when `maxP95Ms` is set). The first failure is the verdict.
 */
export function judgeStep(
  weight: number,
  figures: StepFigures,
  analysis: CanaryAnalysis,
): StepVerdict {
  const step = `canary ${weight}%`;
  if (figures.requests < analysis.minRequests) {
    return {
      pass: false,
      message: `${step}: ${figures.requests} requests reached the new release, fewer than minRequests ${analysis.minRequests}: too few to judge`,
    };
  }
  const failed = `${figures.errors} of ${figures.requests} requests failed`;
  // errors/requests > maxErrorRate%, without rounding.
  if (100 * figures.errors > analysis.maxErrorRate * figures.requests) {
    return {
      pass: false,
      message: `${step}: ${failed} (${percent(figures.errorRate)} > ${analysis.maxErrorRate}%)`,
    };
  }
  const p95 = figures.p95Ms ?? 0;
  if (analysis.maxP95Ms !== undefined && p95 > analysis.maxP95Ms) {
    return {
      pass: false,
      message: `${step}: p95 ${milliseconds(p95)} over ${figures.requests} requests (> ${analysis.maxP95Ms} ms)`,
    };
  }
  const latency =
    analysis.maxP95Ms === undefined
      ? `p95 ${milliseconds(p95)}`
      : `p95 ${milliseconds(p95)} ≤ ${analysis.maxP95Ms} ms`;
  return {
    pass: true,
    message: `${step}: ${failed} (${percent(figures.errorRate)} ≤ ${analysis.maxErrorRate}%), ${latency}`,
  };
}
