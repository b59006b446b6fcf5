/** What the CLI reads of its command line before commander parses it (the root, the command). */
import * as path from "node:path";
import { findProjectRoot } from "../config/project";

/** The value of `--name value` or `--name=value`, if given. */
export function optionValue(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  if (index >= 0) {
    return argv[index + 1];
  }
  return argv.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1);
}

/** The project root: the nearest folder from `--root` (else `cwd`) upwards that holds `Pulumi.yaml`. */
export function projectRoot(argv: readonly string[], cwd: string): string {
  const start = optionValue(argv, "--root") ?? cwd;
  return findProjectRoot(start) ?? path.resolve(start);
}

/** The command word (`rollback`): the first argument that is neither an option nor `--root`'s value. */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === "--root") {
      index += 1;
    } else if (!arg.startsWith("-")) {
      return arg;
    }
  }
  return undefined;
}
