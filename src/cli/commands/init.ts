/**
 * `slipway init`: makes a repository with a Dockerfile a Slipway project. Checks every input
 * before writing anything; never replaces a file unless told to (--force).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  FLAG_HELP,
  findImages,
  gitignoreWith,
  imageNameOf,
  initFiles,
  InitInputError,
  INIT_FLAGS,
  nextSteps,
  parseAnswers,
  type InitInput,
  type InitProject,
} from "../../init";
import { slipwayVersion } from "../../version";
import type { CliDeps } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";

interface InitOptions {
  readonly input: InitInput;
  /** Never ask, even in a terminal. */
  readonly yes: boolean;
  /** Replace files that exist. */
  readonly force: boolean;
  /** Print what would be written; write nothing. */
  readonly dryRun: boolean;
}

function insideGit(root: string): boolean {
  try {
    return (
      execFileSync("git", ["rev-parse", "--is-inside-work-tree"], {
        cwd: root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim() === "true"
    );
  } catch {
    return false;
  }
}

/** Asks for each missing value (the domain may stay empty). */
async function askMissing(
  input: InitInput,
  ask: (question: string) => Promise<string>,
): Promise<InitInput> {
  const answered: InitInput = { ...input };
  for (const flag of INIT_FLAGS) {
    if (answered[flag] === undefined) {
      const answer = (await ask(`${flag} (${FLAG_HELP[flag]}): `)).trim();
      if (answer !== "") {
        answered[flag] = answer;
      }
    }
  }
  return answered;
}

export async function init(deps: CliDeps, options: InitOptions): Promise<void> {
  const root = deps.root;
  if (!insideGit(root)) {
    throw new CliError(
      EXIT.usage,
      `${root} is not inside a git repository: run git init there first, or pass --root <your repository>`,
    );
  }
  const images = findImages(root);
  if (images.length === 0) {
    throw new CliError(
      EXIT.usage,
      `no Dockerfile in ${root}: add your service's Dockerfile (or pass --root <the folder that has it>), then run slipway init again`,
    );
  }
  const input =
    options.yes || deps.ask === undefined
      ? options.input
      : await askMissing(options.input, deps.ask);
  let project: InitProject;
  try {
    project = {
      name: imageNameOf(path.basename(root)),
      images,
      answers: parseAnswers(input, process.cwd()),
      version: slipwayVersion(),
    };
  } catch (error) {
    if (error instanceof InitInputError) {
      throw new CliError(EXIT.usage, error.message);
    }
    throw error;
  }

  const files = initFiles(project);
  const existing = files.filter((file) => fs.existsSync(path.join(root, file.path)));
  if (existing.length > 0 && !options.force && !options.dryRun) {
    throw new CliError(
      EXIT.refused,
      `not replacing ${existing.map((file) => file.path).join(", ")}: ${existing.length === 1 ? "it exists" : "they exist"}; nothing was written (--force replaces them)`,
    );
  }
  const gitignoreFile = path.join(root, ".gitignore");
  const gitignore = gitignoreWith(
    fs.existsSync(gitignoreFile) ? fs.readFileSync(gitignoreFile, "utf8") : undefined,
  );
  const writes = [
    ...files,
    ...(gitignore === undefined ? [] : [{ path: ".gitignore", text: gitignore }]),
  ];

  if (options.dryRun) {
    for (const file of writes) {
      deps.stdout(`--- ${file.path} (would write)\n${file.text}`);
    }
  } else {
    for (const file of writes) {
      const target = path.join(root, file.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.text);
      deps.stderr(`wrote ${file.path}\n`);
    }
  }
  deps.stdout(
    `\n${options.dryRun ? "then" : "next"}:\n${nextSteps(project)
      .map((step) => `  ${step}`)
      .join("\n")}\n`,
  );
}
