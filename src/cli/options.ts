/** What every command's options share: stack selection, repeatable and numeric options, --json. */
import { InvalidArgumentError, Option } from "commander";
import type { CliDeps } from "./context";
import { CliError } from "./errors";
import { EXIT } from "./exit-codes";

export const HELP_FOOTER = "\nExit codes: slipway --help";

const STACK_HELP = "the stack (default: the one `pulumi stack select` selected)";

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

export function stackName(value: string): string {
  if (!STACK_NAME.test(value)) {
    throw new InvalidArgumentError("expected a stack name (letters, digits, _ . -)");
  }
  return value;
}

export function wholeNumber(minimum: number) {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value) || Number(value) < minimum) {
      throw new InvalidArgumentError(`expected a whole number of at least ${minimum}`);
    }
    return Number(value);
  };
}

/** The stack a command works on: --stack, else the stack `pulumi stack select` selected. */
export async function stackOf(deps: CliDeps, given: string | undefined): Promise<string> {
  if (given !== undefined) {
    return given;
  }
  const selected = await deps.driver.selectedStack();
  if (selected === undefined) {
    throw new CliError(EXIT.usage, "no --stack given and no stack is selected", [
      "pulumi stack select <stack>  # or pass --stack <stack>",
    ]);
  }
  return selected;
}

/** `--stack <stack>`: the stack a command acts on (default: the selected one). */
export function stackOption(): Option {
  return new Option("--stack <stack>", STACK_HELP).argParser(stackName);
}

export function jsonOption(): Option {
  return new Option("--json", "print one JSON document on stdout (for scripts)");
}

/** Where the result of running a command ends up: its exit code. */
export interface Outcome {
  code: number;
}
