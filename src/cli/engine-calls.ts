import type { LocalWorkspace, UpdateSummary } from "@pulumi/pulumi/automation";
import type { UpdateInfo } from "./driver";

/** The result of one `pulumi` run, as the Automation API returns it. */
interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/**
 * `PulumiCommand.run`, the one call every Automation API operation ends in (untyped: the
 * SDK marks it internal). It adds `--non-interactive`, and throws the SDK's own
 * `CommandError` / `ConcurrentUpdateError` / `StackNotFoundError` for a failed run.
 */
interface CommandRunner {
  run(
    args: string[],
    cwd: string,
    env: Record<string, string>,
    onOutput?: (text: string) => void,
    onError?: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<CommandResult>;
}

/**
 * Runs `pulumi ARGS --stack STACK` in the workspace as `Stack` does (same environment, same
 * error classes), for the calls the SDK has no cheaper form of: `up` without the two
 * `stack output` and the `stack history` that `Stack.up` always runs after it, and
 * `stack export` without `--show-secrets` (which costs a key derivation per call).
 * Undefined when this SDK version has no such call (then the caller uses `Stack`).
 */
export function engineCall(
  workspace: LocalWorkspace,
): ((stack: string, args: string[], options?: CallOptions) => Promise<CommandResult>) | undefined {
  const runner = workspace.pulumiCommand as unknown as Partial<CommandRunner>;
  if (typeof runner.run !== "function") {
    return undefined;
  }
  const run = runner.run.bind(runner);
  return (stack, args, options = {}) =>
    run(
      [...args, "--stack", stack],
      workspace.workDir,
      {
        // What Stack.runPulumiCmd sets for every local operation.
        PULUMI_DEBUG_COMMANDS: "true",
        ...(workspace.pulumiHome === undefined ? {} : { PULUMI_HOME: workspace.pulumiHome }),
        ...workspace.envVars,
      },
      options.onOutput,
      undefined,
      options.signal,
    );
}

interface CallOptions {
  readonly onOutput?: (text: string) => void;
  readonly signal?: AbortSignal;
}

/** The arguments `Stack.up` passes for a local program (`pulumi up` without a preview). */
export function upArgs(replace: readonly string[] = []): string[] {
  return [
    "up",
    "--yes",
    "--skip-preview",
    ...replace.flatMap((urn) => ["--replace", urn]),
    "--exec-kind",
    "auto.local",
  ];
}

/** The newest update (kind `update`) in a stack's history, newest first. */
export function lastUpdateOf(history: readonly UpdateSummary[]): UpdateInfo | undefined {
  const index = history.findIndex((entry) => entry.kind === "update");
  const update = history[index];
  if (update === undefined) {
    return undefined;
  }
  const iso = (value: unknown) =>
    value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : undefined;
  const startTime = iso(update.startTime);
  const endTime = iso(update.endTime);
  return {
    result: update.result,
    // DIY (file, S3) backends report version 0; their history lists every operation, newest
    // first, so its position counts versions as Pulumi Cloud numbers them.
    version:
      typeof update.version === "number" && update.version > 0
        ? update.version
        : history.length - index,
    ...(startTime === undefined ? {} : { startTime }),
    ...(endTime === undefined ? {} : { endTime }),
    ...(update.resourceChanges === undefined
      ? {}
      : {
          changed: Object.entries(update.resourceChanges).some(
            ([op, count]) => op !== "same" && (count ?? 0) > 0,
          ),
        }),
  };
}
