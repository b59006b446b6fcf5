/**
 * The one place that turns values into POSIX shell text. Every value that reaches a deploy
 * script goes through `quote` (or `command`, which quotes each argument); only `ShellExpr`
 * passes through unquoted, and it is built here from fixed shapes, never from config.
 */

/** Characters that mean nothing to the shell, so a word made only of them needs no quotes. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Shell variable names the scripts use: lowercase, as the scripts' own variables. */
const VARIABLE_NAME = /^[a-z_][a-z0-9_]*$/;

export class ShellQuoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShellQuoteError";
  }
}

/** Shell text that is inserted as-is: an expansion of one of the script's own variables. */
export class ShellExpr {
  private constructor(readonly text: string) {}

  /** `"$name"`: the value of a script variable, as one word. */
  static variable(name: string): ShellExpr {
    if (!VARIABLE_NAME.test(name)) {
      throw new ShellQuoteError(`${JSON.stringify(name)} is not a script variable name`);
    }
    return new ShellExpr(`"$${name}"`);
  }

  /** `"$1"`: a positional parameter of a script function. */
  static positional(index: number): ShellExpr {
    if (!Number.isInteger(index) || index < 1 || index > 9) {
      throw new ShellQuoteError(`${index} is not a positional parameter (1 to 9)`);
    }
    return new ShellExpr(`"$${index}"`);
  }

  /** A word made of literal text and script variables, e.g. `"$tmp"/secret.env`. */
  static join(parts: readonly (string | ShellExpr)[]): ShellExpr {
    return new ShellExpr(
      parts.map((part) => (part instanceof ShellExpr ? part.text : quote(part))).join(""),
    );
  }
}

/** `"$name"`, the value of a script variable. */
export function v(name: string): ShellExpr {
  return ShellExpr.variable(name);
}

/** One argument of a generated command. Numbers are written in decimal. */
export type ShellArg = string | number | ShellExpr;

/**
 * Quotes a value as one shell word. Plain words stay as they are; anything else is put in
 * single quotes, inside which the shell expands nothing (`$()`, backticks, `\`, newlines are
 * literal); a single quote is written as `'\''`. NUL cannot be passed to a program at all.
 */
export function quote(value: string): string {
  if (value.includes("\0")) {
    throw new ShellQuoteError("a NUL character cannot be passed to a shell command");
  }
  if (SAFE_WORD.test(value)) {
    return value;
  }
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** One argument as shell text. */
export function word(arg: ShellArg): string {
  if (arg instanceof ShellExpr) {
    return arg.text;
  }
  if (typeof arg === "number") {
    if (!Number.isFinite(arg)) {
      throw new ShellQuoteError(`${arg} is not a number a command can take`);
    }
    return String(arg);
  }
  return quote(arg);
}

/** A command line: each argument quoted on its own, joined by spaces. */
export function command(args: readonly ShellArg[]): string {
  if (args.length === 0) {
    throw new ShellQuoteError("a command needs at least one word");
  }
  return args.map(word).join(" ");
}

/** `name=<quoted value>`: a script variable assignment. */
export function assign(name: string, value: string | number): string {
  if (!VARIABLE_NAME.test(name)) {
    throw new ShellQuoteError(`${JSON.stringify(name)} is not a script variable name`);
  }
  return `${name}=${word(value)}`;
}
