import * as semver from "semver";
import type { Stamp } from "../config";
import { shortSha, type SourceInfo } from "./git";

/** A branch name as a tag: lowercase, `/` and other characters outside [a-z0-9._-] become `-`. */
export function branchTag(branch: string): string {
  return branch
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[.-]+/, "")
    .slice(0, 128);
}

/**
 * The tags an image is pushed with, after docker/metadata-action's rules, plus what it lacks:
 * - always `sha-<short sha>`, or `sha-<short sha>-<variant>` for a build definition other than
 *   the plain one (see buildVariant): one definition per sha tag;
 * - on the default branch: `dev` (moving) and `dev-<commit count>-g<short sha>` (ordered, unique);
 * - on a release version `X.Y.Z` (HEAD tagged `vX.Y.Z`): `vX.Y.Z`, `X.Y.Z`, `X.Y`, `X` (not for 0.x)
 *   and `latest`; a pre-release gets only `vX.Y.Z-rc.1` and `X.Y.Z-rc.1`;
 * - on a pull request: `pr-<n>`;
 * - on another branch: the branch name;
 * - a dirty context gets only `sha-<short>-dirty`: nothing moving points at an unreviewed build.
 */
export function imageTags(
  source: SourceInfo,
  extra: readonly string[] = [],
  variant?: string,
): string[] {
  const short = variant === undefined ? shortSha(source.sha) : `${shortSha(source.sha)}-${variant}`;
  if (source.dirty) {
    return unique([`sha-${short}-dirty`, ...extra]);
  }
  const tags = [`sha-${short}`];
  if (source.pullRequest !== undefined) {
    tags.push(`pr-${source.pullRequest}`);
  } else if (source.branch !== undefined && source.branch === source.defaultBranch) {
    tags.push("dev", `dev-${source.commitCount}-g${short}`);
  } else if (source.branch !== undefined && source.version === undefined) {
    const tag = branchTag(source.branch);
    if (tag !== "") {
      tags.push(tag);
    }
  }
  if (source.version !== undefined) {
    tags.push(...versionTags(source.version));
  }
  return unique([...tags, ...extra]);
}

/** `1.2.3` → `v1.2.3`, `1.2.3`, `1.2`, `1`, `latest`; pre-releases only their exact version. */
export function versionTags(version: string): string[] {
  const parsed = semver.parse(version);
  if (parsed === null) {
    throw new Error(
      `release version ${JSON.stringify(version)} is not semantic (X.Y.Z); tag releases as vX.Y.Z`,
    );
  }
  const exact = parsed.version; // without build metadata
  if (parsed.prerelease.length > 0) {
    return [`v${exact}`, exact];
  }
  const tags = [`v${exact}`, exact, `${parsed.major}.${parsed.minor}`];
  if (parsed.major !== 0) {
    tags.push(`${parsed.major}`);
  }
  tags.push("latest");
  return tags;
}

/** The version label: the release version, else `dev-<count>-g<sha>`, else `sha-<short>`. */
function imageVersion(source: SourceInfo): string {
  const short = shortSha(source.sha);
  if (source.version !== undefined) {
    return source.version;
  }
  return source.dirty ? `sha-${short}-dirty` : `dev-${source.commitCount}-g${short}`;
}

/** OCI annotation labels for the image config. */
export function imageLabels(
  title: string,
  source: SourceInfo,
  stamp: Stamp = "commit",
): Record<string, string> {
  return {
    ...(stamp === "commit"
      ? {
          "org.opencontainers.image.created": source.commitTime,
          "org.opencontainers.image.revision": source.sha,
        }
      : {}),
    "org.opencontainers.image.title": title,
    ...(stamp === "commit" ? { "org.opencontainers.image.version": imageVersion(source) } : {}),
    ...(source.url === undefined
      ? {}
      : {
          "org.opencontainers.image.source": source.url,
          "org.opencontainers.image.url": source.url,
        }),
  };
}

function unique(tags: readonly string[]): string[] {
  return tags.filter((tag, index) => tags.indexOf(tag) === index);
}
