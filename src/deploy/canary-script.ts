/**
 * The canary of a deploy (`rollout.strategy: canary`), as sections of the deploy script: the
 * check that the edge's Caddy can judge a step (before anything starts), and the walk
 * (sh/deploy-canary.sh) between the health check and the switch. The split file of every step
 * is rendered here (src/edge canarySplitTemplate: the one writer of the format) and passed in
 * the header as `canary_step <n>`; the judgement is the edge Caddy's own subcommand
 * (scripts/engine/caddy/canary, via `splitJudge`).
 */
import { canaryAnalysis, type CanaryStep, type RolloutConfig } from "../config/rollout";
import { canarySplitTemplate, SPLIT_STATS_INTERVAL_SECONDS } from "../edge";
import type { ServiceDefinition } from "./definition";
import { splitJudge, splitJudgeProbe, splitStatsRead } from "./edge-commands";
import { shellLines } from "./script-files";
import { assign, command, ShellExpr, v } from "./shell";

/** The canary's rollout of `def`, or undefined when it has none. */
export function canaryOf(def: ServiceDefinition): RolloutConfig | undefined {
  return def.rollout?.strategy === "canary" ? def.rollout : undefined;
}

/** Seconds the walk waits for the counters to be written, after a split change and a pause. */
export const SPLIT_FLUSH_SECONDS = SPLIT_STATS_INTERVAL_SECONDS + 0.5;

/**
 * `canary_step <n>`: sets `weight`, `pause` and `split_text` (the step's split file, its sides
 * the stand-ins `@next` and `@previous`) of step n (from 1); returns 1 after the last step.
 */
export function canaryStepFunction(steps: readonly CanaryStep[]): string[] {
  return [
    "canary_step() {",
    "  case $1 in",
    ...steps.map(
      (step, index) =>
        `    ${index + 1}) ${assign("weight", step.weight)}; ${assign("pause", step.pause)}; ${assign("split_text", canarySplitTemplate(step.weight))} ;;`,
    ),
    "    *) return 1 ;;",
    "  esac",
    "}",
  ];
}

/** Refuses a canary when the edge's Caddy cannot judge a step (sh/deploy-canary-check.sh). */
export function canaryCheckLines(def: ServiceDefinition): string[] {
  if (canaryOf(def) === undefined) {
    return [];
  }
  return [
    `split_judge_probe() { ${command(splitJudgeProbe(v("caddy")))}; }`,
    ...shellLines("deploy-canary-check"),
  ];
}

/**
 * The walk (sh/deploy-canary.sh): the steps, the counters' flush, `split_stats` (the counters
 * now, on stdout) and `split_judge` (the step against `rollout.analysis`, its start on stdin).
 */
export function canaryLines(def: ServiceDefinition): string[] {
  const rollout = canaryOf(def);
  if (rollout === undefined) {
    return [];
  }
  const label = ShellExpr.join(["canary ", v("weight"), "%"]);
  return [
    assign("split_flush", SPLIT_FLUSH_SECONDS),
    ...canaryStepFunction(rollout.steps ?? []),
    `split_stats() { ${command(splitStatsRead(v("caddy"), def.service))}; }`,
    `split_judge() { ${command(splitJudge(v("caddy"), def.service, canaryAnalysis(rollout), v("next_dials"), label))}; }`,
    ...shellLines("deploy-canary"),
  ];
}
