/**
 * What registering a group of `slipway` commands needs (buildProgram's own, the release and
 * the day-two commands): the program, a Run per command, where the exit code goes, and the
 * shape of the commands that take nothing but `--stack` and `--json`.
 */
import type { Command } from "commander";
import { Run, type CliDeps } from "./context";
import { HELP_FOOTER, jsonOption, stackOf, stackOption, type Outcome } from "./options";

/** What such a command does with the Run and the stack; a number it returns is the exit code. */
export type StackAction = (run: Run, stack: string) => Promise<number | void>;

export interface CommandSet {
  readonly program: Command;
  readonly deps: CliDeps;
  /** Where the command that ran puts its exit code. */
  readonly outcome: Outcome;
  /** The Run of one command, from its options (`--json`). */
  readonly run: (options: { json?: boolean }) => Run;
  /** `slipway <name> [--stack <stack>] [--json]`, running `act`. */
  readonly onStack: (name: string, act: StackAction) => Command;
}

/** The set that adds commands to `program`; `by` is the command line the ledger records. */
export function commandSet(
  program: Command,
  deps: CliDeps,
  by: string,
  outcome: Outcome,
): CommandSet {
  const run = (options: { json?: boolean }) => new Run(deps, options.json === true, by);
  return {
    program,
    deps,
    outcome,
    run,
    onStack: (name, act) =>
      program
        .command(name)
        .addOption(stackOption())
        .addOption(jsonOption())
        .addHelpText("after", HELP_FOOTER)
        .action(async (options: { stack?: string; json?: boolean }) => {
          const code = await act(run(options), await stackOf(deps, options.stack));
          if (typeof code === "number") {
            outcome.code = code;
          }
        }),
  };
}
