import { execFileSync } from "node:child_process";
import * as semver from "semver";
import { repositoryUrl, type ContextCommit, type SourceInfo } from "./git";

function git(root: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync("git", args, {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The newest `vX.Y.Z` among the tags, in semver order: a release wins over its release
 * candidates (`v1.2.3` over `v1.2.3-rc.1` on one commit), `1.10.0` over `1.9.0`.
 */
function releaseVersion(tags: readonly string[]): string | undefined {
  const versions = tags.flatMap((tag) => {
    const version = tag.startsWith("v") ? semver.valid(tag.slice(1)) : null;
    return version === null ? [] : [version];
  });
  return semver.rsort(versions)[0];
}

interface ReadSourceOptions {
  /** Project root, a git checkout. */
  readonly root: string;
  /** Paths (relative to root) whose changes make a build dirty: the build contexts. */
  readonly paths: readonly string[];
  /**
   * Contexts of images stamped by their context (`stamp: context` or `none`): for each, the
   * last commit that changed it. Only these: three git calls each, at every program start.
   */
  readonly stampedContexts?: readonly string[];
  /**
   * Per stamped context: further paths whose commits count as its own (a Dockerfile outside
   * the context changes the image as much as a file in it).
   */
  readonly contextExtras?: Readonly<Record<string, readonly string[]>>;
  /** Source URL from config, which wins over CI and the git remote. */
  readonly url?: string;
  /** Environment (CI variables); `process.env` by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Reads the commit being built from git and, in GitHub Actions, from its variables. Throws a
 * clear error outside a git checkout: tags and labels are made from the commit.
 */
export function readSource(options: ReadSourceOptions): SourceInfo {
  const env = options.env ?? process.env;
  const { root } = options;
  const sha = git(root, ["rev-parse", "HEAD"]);
  if (sha === undefined) {
    throw new Error(
      `${root} is not a git checkout with a commit; Slipway tags and labels images from the commit (git init && git commit)`,
    );
  }
  const pr = /^refs\/pull\/(\d+)\//.exec(env.GITHUB_REF ?? "");
  const branch =
    env.GITHUB_HEAD_REF ||
    (env.GITHUB_REF_TYPE === "branch" ? env.GITHUB_REF_NAME : undefined) ||
    git(root, ["symbolic-ref", "--short", "-q", "HEAD"]) ||
    undefined;
  const originHead = git(root, ["symbolic-ref", "--short", "-q", "refs/remotes/origin/HEAD"]);
  const defaultBranch =
    env.SLIPWAY_DEFAULT_BRANCH || originHead?.replace(/^origin\//, "") || "main";
  const tagVersion =
    env.GITHUB_REF_TYPE === "tag"
      ? releaseVersion([env.GITHUB_REF_NAME ?? ""])
      : releaseVersion((git(root, ["tag", "--points-at", "HEAD"]) ?? "").split("\n"));
  const commitTime = new Date(git(root, ["show", "-s", "--format=%cI", "HEAD"]) ?? 0)
    .toISOString()
    .replace(/\.000Z$/, "Z");
  const status = git(root, [
    "status",
    "--porcelain",
    "--",
    ...(options.paths.length > 0 ? options.paths : ["."]),
  ]);
  const url =
    options.url ??
    (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}`
      : repositoryUrl(git(root, ["remote", "get-url", "origin"]) ?? ""));
  const contexts: Record<string, ContextCommit> = {};
  for (const context of options.stampedContexts ?? []) {
    const paths = [context, ...(options.contextExtras?.[context] ?? [])];
    const [last, time] = (git(root, ["log", "-1", "--format=%H%n%cI", "--", ...paths]) ?? "").split(
      "\n",
    );
    if (last !== undefined && /^[0-9a-f]{40}$/.test(last) && time !== undefined) {
      contexts[context] = {
        sha: last,
        commitTime: new Date(time).toISOString().replace(/\.000Z$/, "Z"),
        commitCount: Number(git(root, ["rev-list", "--count", last]) ?? "0"),
        dirty: (git(root, ["status", "--porcelain", "--", ...paths]) ?? "") !== "",
      };
    }
  }
  return {
    sha,
    contexts,
    ...(branch === undefined ? {} : { branch }),
    defaultBranch,
    ...(tagVersion === undefined ? {} : { version: tagVersion }),
    ...(pr === null ? {} : { pullRequest: Number(pr[1]) }),
    commitCount: Number(git(root, ["rev-list", "--count", "HEAD"]) ?? "0"),
    commitTime,
    dirty: status !== undefined && status !== "",
    ...(url === undefined ? {} : { url }),
  };
}
