/**
 * What a build knows about its source. Everything an image's tags and labels are made of
 * comes from here, never from a clock, so the same commit always yields the same metadata.
 */
export interface SourceInfo {
  /** Full commit sha (40 hex). */
  readonly sha: string;
  /** Branch being built; absent on a detached HEAD. */
  readonly branch?: string;
  /** The repository's default branch, where `dev` tags are published. */
  readonly defaultBranch: string;
  /** Release version when HEAD carries a tag `vX.Y.Z`, without the `v`. */
  readonly version?: string;
  /** Pull request number when building a pull request. */
  readonly pullRequest?: number;
  /** Commits reachable from HEAD (`git rev-list --count HEAD`). */
  readonly commitCount: number;
  /** Commit time, ISO 8601, UTC. */
  readonly commitTime: string;
  /** Whether the build context differs from the commit. */
  readonly dirty: boolean;
  /** Web URL of the source repository, when known. */
  readonly url?: string;
  /**
   * Per build context (its path as configured): the last commit that changed it, for images
   * stamped by their context (`stamp: context` or `none`). Absent for a context no commit touched.
   */
  readonly contexts?: Readonly<Record<string, ContextCommit>>;
}

/** The last commit that changed one build context. */
export interface ContextCommit {
  readonly sha: string;
  readonly commitTime: string;
  /** Commits reachable from it. */
  readonly commitCount: number;
  /** Whether the context differs from HEAD (uncommitted changes in it). */
  readonly dirty: boolean;
}

/** Short sha as git and docker/metadata-action show it. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** `git remote get-url` forms to a web URL: `git@github.com:acme/web.git` → `https://github.com/acme/web`. */
export function repositoryUrl(remote: string): string | undefined {
  const trimmed = remote.trim();
  const scp = /^(?:[\w.-]+@)?([\w.-]+):(?!\/)(.+?)(?:\.git)?\/?$/.exec(trimmed);
  if (scp && !trimmed.includes("://")) {
    return `https://${scp[1]}/${scp[2]}`;
  }
  try {
    const url = new URL(trimmed);
    if (!["https:", "http:", "ssh:", "git:"].includes(url.protocol)) {
      return undefined;
    }
    const path = url.pathname.replace(/\.git$/, "").replace(/\/$/, "");
    return `https://${url.hostname}${path}`;
  } catch {
    return undefined;
  }
}
