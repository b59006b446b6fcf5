import type { ExitCode } from "./exit-codes";

/** An error the CLI reports as it is: a message, the exit code, and the commands to run next. */
export class CliError extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
    readonly next: readonly string[] = [],
  ) {
    super(message);
    this.name = "CliError";
  }
}
