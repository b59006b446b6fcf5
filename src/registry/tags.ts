import * as semver from "semver";
import { splitTag } from "../reference/reference";

/**
 * The tags Slipway's builds publish, by kind (see the image tag rules): releases
 * (`v1.2.3`, `1.2.3`, `1.2`, `1`), `latest`, the moving `dev`, the build cache, and the
 * per-build tags `dev-<count>-g<sha>`, `sha-<sha>` and `pr-<n>`.
 */
export type TagKind =
  | "release"
  | "latest"
  | "dev"
  | "buildcache"
  | "dev-build"
  | "sha"
  | "pr"
  /**
   * A referrer tag: `sha256-<hex>` (the OCI referrers tag schema, where oras puts attestations
   * and SBOMs when the registry has no referrers API) or cosign's `sha256-<hex>.sig`, `.att`
   * and `.sbom`. It lives and dies with the digest it names.
   */
  | "referrer"
  /** A tag Slipway does not publish; retention leaves it alone. */
  | "other";

/** Kinds of which retention keeps only the newest N per repository. */
const ROTATED_KINDS = ["dev-build", "sha", "pr"] as const satisfies readonly TagKind[];
export type RotatedKind = (typeof ROTATED_KINDS)[number];

/** `dev-<count>-g<short sha>`: one build of the default branch. */
export const DEV_BUILD = /^dev-([0-9]+)-g([0-9a-f]{4,40})(?:-[0-9a-f]{8})?$/;
/** `sha-<short sha>[-<variant>][-dirty]`: one build definition of one commit. */
export const SHA = /^sha-[0-9a-f]{4,40}(?:-[0-9a-f]{8})?(?:-dirty)?$/;
const PR = /^pr-([0-9]+)$/;
const REFERRER = /^sha256-([0-9a-f]{64})(?:\.(?:sig|att|sbom))?$/;

/**
 * A release tag: a version without pre-release or build (`v1.2.3`, `1.2.3`), or its moving
 * `X.Y` / `X` (as semver reads `X.Y.0` / `X.0.0`), with or without `v`.
 */
function isReleaseTag(tag: string): boolean {
  const parts = (tag.startsWith("v") ? tag.slice(1) : tag).split(".");
  if (parts.length > 3 || parts.some((part) => !/^[0-9]+$/.test(part))) {
    return false;
  }
  return semver.valid([...parts, "0", "0"].slice(0, 3).join(".")) !== null;
}

export function tagKind(tag: string): TagKind {
  if (isReleaseTag(tag)) {
    return "release";
  }
  switch (tag) {
    case "latest":
      return "latest";
    case "dev":
      return "dev";
    case "buildcache":
      return "buildcache";
  }
  if (DEV_BUILD.test(tag)) {
    return "dev-build";
  }
  if (SHA.test(tag)) {
    return "sha";
  }
  if (PR.test(tag)) {
    return "pr";
  }
  if (REFERRER.test(tag)) {
    return "referrer";
  }
  return "other";
}

/** The digest a referrer tag names (`sha256-<hex>.sig` names `sha256:<hex>`), or undefined. */
export function referrerSubject(tag: string): string | undefined {
  const match = REFERRER.exec(tag);
  return match === null ? undefined : `sha256:${match[1]!}`;
}

/** The number a per-build tag carries: the commit count of `dev-<count>-g<sha>`, the PR number. */
export function tagNumber(tag: string): number | undefined {
  const match = DEV_BUILD.exec(tag) ?? PR.exec(tag);
  return match === null ? undefined : Number(match[1]);
}

export function isRotated(kind: TagKind): kind is RotatedKind {
  return (ROTATED_KINDS as readonly TagKind[]).includes(kind);
}

/** The tag part of `repository:tag` (or a bare tag). */
export function bareTag(tagOrRef: string): string {
  return splitTag(tagOrRef).tag ?? tagOrRef;
}

const RECORD_PREFERENCE: readonly TagKind[] = ["release", "sha", "dev-build", "pr", "other"];

/**
 * The one tag worth recording beside a digest (in a pin or the ledger): the most specific
 * release version, else `sha-*`, else `dev-<count>-g<sha>`, else `pr-*`; never a moving
 * `latest`/`dev` or the build cache. Accepts bare tags or `repository:tag`.
 */
export function recordedTag(tags: readonly string[]): string | undefined {
  const bare = tags.map(bareTag);
  for (const kind of RECORD_PREFERENCE) {
    const candidates = bare.filter((tag) => tagKind(tag) === kind);
    if (candidates.length > 0) {
      return [...candidates].sort(
        (a, b) => b.split(".").length - a.split(".").length || a.localeCompare(b),
      )[0];
    }
  }
  return undefined;
}
