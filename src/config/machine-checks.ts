import * as fs from "node:fs";
import * as path from "node:path";
import type { RawIssue } from "./checks";
import { asList, asMap, has } from "./raw";
import { expandHome } from "./paths";
import { ownerOverrideProblems } from "./rules";

/*
 * Checks against the machine that runs the program rather than the config alone: key files
 * on its disk, the GitHub variables in its environment. The program runs them (loadConfig);
 * a command that only edits stack files does not.
 */

type Map = Record<string, unknown>;

/**
 * Checks that each `privateKeyFile` (host and bastion) is a readable file, `~/` expanded
 * against `home`, so a missing key is a config problem with its path and not a failure after
 * other resources were registered.
 */
export function keyFileChecks(raw: Map, home: string): RawIssue[] {
  const issues: RawIssue[] = [];
  asList(raw.hosts).forEach((value, index) => {
    const host = asMap(value);
    for (const [owner, where] of [
      [host, [index]],
      [asMap(host?.proxy), [index, "proxy"]],
    ] as const) {
      const file = owner?.privateKeyFile;
      if (typeof file !== "string" || file === "" || has(owner, "privateKey")) {
        continue;
      }
      const { resolved, problem } = readableFileProblem(file, home);
      if (problem !== undefined) {
        issues.push({
          key: "hosts",
          path: [...where, "privateKeyFile"],
          message:
            `${JSON.stringify(file)} ${problem}${resolved === file ? "" : ` (${resolved})`}; ` +
            `point it at the SSH private key, or set privateKey instead`,
        });
      }
    }
  });
  return issues;
}

/**
 * Why `file` (`~/` expanded against `home`) is not a readable file on this machine, or
 * undefined: the one check behind every `…File` setting.
 */
export function readableFileProblem(
  file: string,
  home: string,
): { readonly resolved: string; readonly problem?: string } {
  const resolved = path.resolve(expandHome(file, home));
  try {
    if (!fs.statSync(resolved).isFile()) {
      return { resolved, problem: "is not a file" };
    }
    fs.accessSync(resolved, fs.constants.R_OK);
    return { resolved };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      resolved,
      problem: code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? "error"})`,
    };
  }
}

/** Refuses GITHUB_OWNER / GITHUB_ORGANIZATION in `env` when they name another account than slipway:github.owner. */
export function ownerChecks(
  raw: Map,
  env: Readonly<Record<string, string | undefined>>,
): RawIssue[] {
  const owner = asMap(raw.github)?.owner;
  if (typeof owner !== "string" || owner === "") {
    return [];
  }
  return ownerOverrideProblems(owner, env).map((message) => ({
    key: "github",
    path: ["owner"],
    message,
  }));
}
