/**
 * The host runtime's shell files (`./sh/*.sh`): the functions and the flow of every script a
 * host runs, as real files that shellcheck and editors see. TypeScript only writes a header of
 * quoted values (./shell) and puts these files after it.
 *
 * Comments are for the reader of the file: the opening comment block (what the file does, its
 * shellcheck directives) and every whole-line comment stay out of the generated text, except
 * a `# shellcheck disable=…` directive inside the code, which the shellcheck of the generated
 * scripts needs too. `npm run build` copies the files next to the compiled module
 * (dist/src/deploy/sh/, by `scripts/clean-dist.js --copy-sh`); under ts-node they are read
 * from src/deploy/sh/. The package ships them with dist/src/.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Where the files are: beside this module, compiled or not. */
export const SCRIPT_DIR = path.join(__dirname, "sh");

const cache = new Map<string, readonly string[]>();

/** A whole-line comment that is not a shellcheck directive. */
const COMMENT = /^\s*#(?!\s*shellcheck disable=)/;

/**
 * The lines of `sh/<name>.sh` without its comments (see above): one section of a generated
 * script. Read once, then cached.
 */
export function shellLines(name: string): readonly string[] {
  const cached = cache.get(name);
  if (cached !== undefined) {
    return cached;
  }
  const file = path.join(SCRIPT_DIR, `${name}.sh`);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(
      `the host script ${file} is missing (${(error as NodeJS.ErrnoException).code ?? String(error)}): ` +
        "build with `npm run build`, which copies src/deploy/sh/ beside the compiled module",
    );
  }
  const lines = text.replace(/\n$/, "").split("\n");
  const start = lines.findIndex((line) => !line.startsWith("#"));
  const body = lines.slice(start < 0 ? lines.length : start).filter((line) => !COMMENT.test(line));
  cache.set(name, body);
  return body;
}

/** The names of every file in `sh/` (for the test that shellchecks them all). */
export function shellFileNames(): string[] {
  return fs
    .readdirSync(SCRIPT_DIR)
    .filter((file) => file.endsWith(".sh"))
    .map((file) => file.slice(0, -".sh".length))
    .sort();
}
