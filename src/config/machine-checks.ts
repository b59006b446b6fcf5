import * as fs from "node:fs";
import * as path from "node:path";
import type { RawIssue } from "./raw";
import { asList, asMap, has } from "./raw";
import { expandHome } from "./paths";
import { ownerOverrideProblems, sshPublicKeyProblem } from "./rules";

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
      const problem = unreadable(file, home) ?? publicKeyFileProblem(file, home);
      if (problem !== undefined) {
        issues.push({
          key: "hosts",
          path: [...where, "privateKeyFile"],
          message: `${problem}; point it at the SSH private key, or set privateKey instead`,
        });
      }
    }
  });
  return issues;
}

/**
 * Why a readable key file is no private key because it holds a public one (the `.pub` beside
 * the key), or undefined. Only the first line is read: a private key never passes as public.
 */
function publicKeyFileProblem(file: string, home: string): string | undefined {
  const { resolved } = readableFileProblem(file, home);
  const firstLine = fs.readFileSync(resolved, "utf8").split("\n", 1)[0] ?? "";
  return sshPublicKeyProblem(firstLine) === undefined
    ? `${JSON.stringify(file)} holds an SSH public key (${firstLine.split(/\s+/, 1)[0]}), not the private key${file.endsWith(".pub") ? ` (the private key is usually ${JSON.stringify(file.slice(0, -".pub".length))})` : ""}`
    : undefined;
}

/** Why a file on this machine cannot be read (its path and the reason), or undefined. */
function unreadable(file: string, home: string): string | undefined {
  const { resolved, problem } = readableFileProblem(file, home);
  return problem === undefined
    ? undefined
    : `${JSON.stringify(file)} ${problem}${resolved === file ? "" : ` (${resolved})`}`;
}

/** Each `secretEnvFiles` entry of a service or accessory is a readable file. */
export function secretFileChecks(raw: Map, home: string): RawIssue[] {
  const issues: RawIssue[] = [];
  for (const key of ["service", "services", "accessories"] as const) {
    const entries: [PropertyKey[], Map | undefined][] =
      key === "service"
        ? [[[], asMap(raw.service)]]
        : Object.entries(asMap(raw[key]) ?? {}).map(([name, value]) => [[name], asMap(value)]);
    for (const [at, entry] of entries) {
      for (const [name, file] of Object.entries(asMap(entry?.secretEnvFiles) ?? {})) {
        const problem = typeof file === "string" ? unreadable(file, home) : undefined;
        if (problem !== undefined) {
          issues.push({
            key,
            path: [...at, "secretEnvFiles", name],
            message: `${problem}; create it (e.g. scripts/local-secrets.sh for the local stacks), or set secretEnv.${name} instead`,
          });
        }
      }
    }
  }
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
