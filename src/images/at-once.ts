import { command, ShellExpr, v } from "../deploy/shell";

/** One job of `atOnce`: its name (its output files in `$work`) and its lines. */
export interface ScriptJob {
  /** A file-name-safe name: the job's output goes to `"$work"/<name>.out` and `.err`. */
  readonly name: string;
  readonly lines: readonly string[];
}

/**
 * Lines that run `jobs` at once, each in its own background subshell with its output in
 * `"$work"/<name>.out` and `.err`; then, in the jobs' order, wait for each and print its
 * output (stdout, then stderr on stderr); after all of them, exit 1 when any failed. For the
 * supply-chain scripts (registryConfigPrelude: `set -eu`, `$work`): jobs that write to
 * different places in the registry. A subshell does not run the script's EXIT trap, so the
 * work directory stays until the script ends.
 */
export function atOnce(jobs: readonly ScriptJob[]): string[] {
  const file = (job: ScriptJob, stream: "out" | "err") =>
    command([ShellExpr.join([v("work"), `/${job.name}.${stream}`])]);
  return [
    ...jobs.flatMap((job, index) => [
      "(",
      ...job.lines.map((line) => `  ${line}`),
      `) >${file(job, "out")} 2>${file(job, "err")} &`,
      `job_${index}=$!`,
    ]),
    "failed=0",
    ...jobs.flatMap((job, index) => [
      `wait "$job_${index}" || failed=1`,
      `cat ${file(job, "out")}`,
      `cat ${file(job, "err")} >&2`,
    ]),
    '[ "$failed" -eq 0 ] || exit 1',
  ];
}
