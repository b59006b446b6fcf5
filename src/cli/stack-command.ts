/**
 * The shape of the `slipway` commands that act on one stack and take nothing but `--stack`
 * and `--json` (up, record, history, status, repair): one place for their options, help
 * footer and action.
 */
import type { Command } from "commander";
import { Run, type CliDeps } from "./context";
import { HELP_FOOTER, jsonOption, type Outcome, stackOf, stackOption } from "./options";

/** What such a command does with the Run and the stack; a number it returns is the exit code. */
type StackAction = (run: Run, stack: string) => Promise<number | void>;

/** `(name, act)` → the command `slipway <name> [--stack <stack>] [--json]` on `program`. */
export function stackCommands(
  program: Command,
  deps: CliDeps,
  by: string,
  outcome: Outcome,
): (name: string, act: StackAction) => Command {
  return (name, act) =>
    program
      .command(name)
      .addOption(stackOption())
      .addOption(jsonOption())
      .addHelpText("after", HELP_FOOTER)
      .action(async (options: { stack?: string; json?: boolean }) => {
        const run = new Run(deps, options.json === true, by);
        const code = await act(run, await stackOf(deps, options.stack));
        if (typeof code === "number") {
          outcome.code = code;
        }
      });
}
