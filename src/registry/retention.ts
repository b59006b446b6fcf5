import { isRotated, tagKind, tagNumber, type RotatedKind, type TagKind } from "./tags";

/** A tag and the digest it points to. */
export interface TaggedDigest {
  readonly tag: string;
  readonly digest: string;
}

/** What retention needs to know of a digest. */
export interface DigestFacts {
  /** The image config's `created` time; orders `sha-*` and `pr-*` tags. */
  readonly created?: string;
  /** Manifests an index lists; an index whose child is protected is protected too. */
  readonly children?: readonly string[];
}

export interface RetentionInput {
  readonly repository: string;
  readonly tags: readonly TaggedDigest[];
  readonly facts: ReadonlyMap<string, DigestFacts>;
  /** How many of each per-build tag kind (`dev-<n>-g<sha>`, `sha-*`, `pr-*`) to keep. */
  readonly keep: number;
  /** Digests that are never deleted, each with the reasons (ledger entries, pins). */
  readonly protectedDigests: ReadonlyMap<string, readonly string[]>;
}

export interface KeptTag {
  readonly tag: string;
  readonly digest: string;
  readonly reason: string;
}

export interface DeletedDigest {
  readonly digest: string;
  /** Every tag that points to it; deleting the manifest removes them all. */
  readonly tags: readonly string[];
}

export interface RetentionPlan {
  readonly repository: string;
  /** Tags that remain, sorted by tag. */
  readonly kept: readonly KeptTag[];
  /** Manifests to delete, oldest image first (then by tag). */
  readonly deleted: readonly DeletedDigest[];
}

const PATTERN: Record<RotatedKind, string> = {
  "dev-build": "dev-<count>-g<sha>",
  sha: "sha-*",
  pr: "pr-*",
};

function ownReason(kind: Exclude<TagKind, RotatedKind>): string {
  switch (kind) {
    case "release":
      return "release tag";
    case "latest":
      return "latest";
    case "dev":
      return "the moving dev tag";
    case "buildcache":
      return "build cache";
    case "other":
      return "not a tag Slipway publishes";
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

/** -1, 0 or 1, for numbers (infinities included) and strings. */
function compare<T extends number | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * An image's creation time in milliseconds; registries write RFC 3339 with 0 to 9 fractional
 * digits, so the text does not sort. Unknown times sort as the oldest.
 */
function createdTime(facts: ReadonlyMap<string, DigestFacts>, digest: string): number {
  const time = Date.parse(facts.get(digest)?.created ?? "");
  return Number.isNaN(time) ? -Infinity : time;
}

/**
 * Newest first: `dev-<count>-g<sha>` by commit count, then by image creation time; other
 * per-build tags by creation time, then by their number (PRs), then by name.
 */
function newestFirst(facts: ReadonlyMap<string, DigestFacts>) {
  const created = (item: TaggedDigest) => createdTime(facts, item.digest);
  return (a: TaggedDigest, b: TaggedDigest): number => {
    const byNumber = (tagNumber(b.tag) ?? -1) - (tagNumber(a.tag) ?? -1);
    const byCreated = compare(created(b), created(a));
    if (tagKind(a.tag) === "dev-build" && byNumber !== 0) {
      return byNumber;
    }
    if (byCreated !== 0) {
      return byCreated;
    }
    if (byNumber !== 0) {
      return byNumber;
    }
    return compare(a.tag, b.tag);
  };
}

/**
 * Decides which tags of one repository remain and which manifests are deleted. A manifest is
 * deleted only when none of its tags is kept and no ledger or pin references it (or, for an
 * index, one of its children): deleting a manifest by digest removes every tag on it.
 */
export function planRetention(input: RetentionInput): RetentionPlan {
  if (!Number.isInteger(input.keep) || input.keep < 0) {
    throw new RangeError(`keep must be a whole number of at least 0, got ${input.keep}`);
  }
  const own = new Map<string, string>();
  const rotated = new Map<RotatedKind, TaggedDigest[]>();
  for (const item of input.tags) {
    const kind = tagKind(item.tag);
    if (isRotated(kind)) {
      rotated.set(kind, [...(rotated.get(kind) ?? []), item]);
    } else {
      own.set(item.tag, ownReason(kind));
    }
  }
  const order = newestFirst(input.facts);
  for (const [kind, items] of rotated) {
    [...items]
      .sort(order)
      .slice(0, input.keep)
      .forEach((item) => own.set(item.tag, `newest ${input.keep} ${PATTERN[kind]}`));
  }

  const protection = (digest: string): string | undefined => {
    const direct = input.protectedDigests.get(digest);
    if (direct !== undefined && direct.length > 0) {
      return `protected: ${direct.join("; ")}`;
    }
    for (const child of input.facts.get(digest)?.children ?? []) {
      const reasons = input.protectedDigests.get(child);
      if (reasons !== undefined && reasons.length > 0) {
        return `protected: lists ${child}, ${reasons.join("; ")}`;
      }
    }
    return undefined;
  };

  const keptBy = new Map<string, string>();
  for (const item of [...input.tags].sort((a, b) => (a.tag < b.tag ? -1 : 1))) {
    if (own.has(item.tag) && !keptBy.has(item.digest)) {
      keptBy.set(item.digest, item.tag);
    }
  }

  const kept: KeptTag[] = [];
  const deleted = new Map<string, string[]>();
  for (const item of input.tags) {
    const reason =
      own.get(item.tag) ??
      protection(item.digest) ??
      (keptBy.has(item.digest) ? `same digest as ${keptBy.get(item.digest)}` : undefined);
    if (reason !== undefined) {
      kept.push({ tag: item.tag, digest: item.digest, reason });
    } else {
      deleted.set(item.digest, [...(deleted.get(item.digest) ?? []), item.tag]);
    }
  }
  const created = (digest: string) => createdTime(input.facts, digest);
  return {
    repository: input.repository,
    kept: kept.sort((a, b) => compare(a.tag, b.tag)),
    deleted: [...deleted.entries()]
      .map(([digest, tags]) => ({ digest, tags: [...tags].sort() }))
      .sort(
        (a, b) => compare(created(a.digest), created(b.digest)) || compare(a.tags[0]!, b.tags[0]!),
      ),
  };
}
