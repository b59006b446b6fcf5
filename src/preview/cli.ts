/**
 * Renders a stack preview as the Markdown summary a pull request shows:
 *
 *   pulumi preview --stack prod --json > preview.json
 *   node -r ts-node/register/transpile-only src/preview/cli.ts --stack prod preview.json
 *
 * Reads the file (or standard input for `-`), writes Markdown to standard output. Exit codes:
 * 0 rendered, 2 bad usage or input.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { parsePreview } from "./model";
import { GITHUB_COMMENT_LIMIT, renderSummary } from "./render";
import { summarize } from "./summary";

const USAGE =
  "usage: preview-summary [--stack NAME] [--source-url URL] [--log-url URL] [--max-length N] [--json] <preview.json | ->";

/** The preview's text; a file that cannot be read is named, with why. */
function readPreview(readInput: (path: string) => string, file: string): string {
  try {
    return readInput(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a directory"
            : (error as Error).message;
    throw new Error(
      `cannot read the preview ${file === "-" ? "from standard input" : JSON.stringify(file)}: ${why} (write it with: pulumi preview --stack <stack> --json > preview.json)`,
    );
  }
}

/** Runs the command; returns the exit code and what to print. */
export function previewSummaryCommand(
  argv: readonly string[],
  readInput: (path: string) => string = (path) => fs.readFileSync(path === "-" ? 0 : path, "utf8"),
): { code: number; stdout: string; stderr: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        stack: { type: "string" },
        "source-url": { type: "string" },
        "log-url": { type: "string" },
        "max-length": { type: "string" },
        json: { type: "boolean" },
      },
    });
  } catch (error) {
    return { code: 2, stdout: "", stderr: `${(error as Error).message}\n${USAGE}\n` };
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    return { code: 2, stdout: "", stderr: `${USAGE}\n` };
  }
  const maxLength =
    values["max-length"] === undefined ? GITHUB_COMMENT_LIMIT : Number(values["max-length"]);
  if (!Number.isInteger(maxLength) || maxLength <= 0) {
    return { code: 2, stdout: "", stderr: `--max-length must be a positive whole number\n` };
  }
  try {
    const summary = summarize(parsePreview(readPreview(readInput, positionals[0]!)));
    if (values.json === true) {
      return { code: 0, stdout: `${JSON.stringify(summary, null, 2)}\n`, stderr: "" };
    }
    return {
      code: 0,
      stdout: renderSummary(summary, {
        maxLength,
        ...(values.stack === undefined ? {} : { stack: values.stack }),
        ...(values["source-url"] === undefined ? {} : { sourceUrl: values["source-url"] }),
        ...(values["log-url"] === undefined ? {} : { logUrl: values["log-url"] }),
      }),
      stderr: "",
    };
  } catch (error) {
    return { code: 2, stdout: "", stderr: `${(error as Error).message}\n` };
  }
}

if (require.main === module) {
  const result = previewSummaryCommand(process.argv.slice(2));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.code;
}
