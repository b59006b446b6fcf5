import {
  isRotated,
  referrerSubject,
  tagKind,
  tagNumber,
  type RotatedKind,
  type TagKind,
} from "./tags";

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
  /** Manifests the registry's referrers API lists for this digest (attestations, signatures). */
  readonly referrers?: readonly string[];
  /** The registry does not have this digest (asked only for subjects of referrer tags). */
  readonly missing?: boolean;
}

interface RetentionInput {
  readonly repository: string;
  readonly tags: readonly TaggedDigest[];
  readonly facts: ReadonlyMap<string, DigestFacts>;
  /** How many of each per-build tag kind (`dev-<n>-g<sha>`, `sha-*`, `pr-*`) to keep. */
  readonly keep: number;
  /** Digests that are never deleted, each with the reasons (ledger entries, pins). */
  readonly protectedDigests: ReadonlyMap<string, readonly string[]>;
}

interface KeptTag {
  readonly tag: string;
  readonly digest: string;
  readonly reason: string;
}

interface DeletedDigest {
  readonly digest: string;
  /** Every tag that points to it; deleting the manifest removes them all. */
  readonly tags: readonly string[];
  /** Referrer tags (`sha256-<hex>`, `.sig`, `.att`, `.sbom`) deleted with it. */
  readonly referrers: readonly string[];
  /**
   * Manifests deleted with it, before it: those it lists (platform images, attestations),
   * its referrers and what they list; never one that a kept or protected digest reaches.
   */
  readonly children: readonly string[];
}

export interface RetentionPlan {
  readonly repository: string;
  /** How many of each per-build tag kind were kept. */
  readonly keep: number;
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

function ownReason(kind: Exclude<TagKind, RotatedKind | "referrer">): string {
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

function shortDigest(digest: string): string {
  return digest.slice(0, 19);
}

/** The tag with the subject it names, for referrer tags. */
interface ReferrerTag extends TaggedDigest {
  readonly subject: string;
}

/**
 * Decides which tags of one repository remain and which manifests are deleted. A manifest is
 * deleted only when none of its tags is kept and no ledger or pin references it (or, for an
 * index, one of its children): deleting a manifest by digest removes every tag on it. What a
 * deleted manifest reaches (the manifests it lists, its referrers by API or by tag, and what
 * those list) is deleted with it, unless a kept or protected digest reaches it too. Referrer
 * tags follow their subject; one whose subject is gone from the registry is deleted.
 */
export function planRetention(input: RetentionInput): RetentionPlan {
  if (!Number.isInteger(input.keep) || input.keep < 0) {
    throw new RangeError(`keep must be a whole number of at least 0, got ${input.keep}`);
  }
  const own = new Map<string, string>();
  const rotated = new Map<RotatedKind, TaggedDigest[]>();
  const referrerTags: ReferrerTag[] = [];
  const plain: TaggedDigest[] = [];
  for (const item of input.tags) {
    const kind = tagKind(item.tag);
    if (kind === "referrer") {
      referrerTags.push({ ...item, subject: referrerSubject(item.tag)! });
      continue;
    }
    plain.push(item);
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
  for (const item of [...plain].sort((a, b) => compare(a.tag, b.tag))) {
    if (own.has(item.tag) && !keptBy.has(item.digest)) {
      keptBy.set(item.digest, item.tag);
    }
  }

  const kept: KeptTag[] = [];
  const roots = new Map<string, string[]>();
  for (const item of plain) {
    const reason =
      own.get(item.tag) ??
      protection(item.digest) ??
      (keptBy.has(item.digest) ? `same digest as ${keptBy.get(item.digest)}` : undefined);
    if (reason !== undefined) {
      kept.push({ tag: item.tag, digest: item.digest, reason });
    } else {
      roots.set(item.digest, [...(roots.get(item.digest) ?? []), item.tag]);
    }
  }

  // What each digest reaches: what it lists, its referrers, and the targets of referrer tags
  // naming it, transitively.
  const tagTargets = new Map<string, string[]>();
  for (const item of referrerTags) {
    tagTargets.set(item.subject, [...(tagTargets.get(item.subject) ?? []), item.digest]);
  }
  const reach = (from: Iterable<string>): Set<string> => {
    const seen = new Set<string>();
    const stack = [...from];
    while (stack.length > 0) {
      const digest = stack.pop()!;
      if (seen.has(digest)) {
        continue;
      }
      seen.add(digest);
      const facts = input.facts.get(digest);
      stack.push(
        ...(facts?.children ?? []),
        ...(facts?.referrers ?? []),
        ...(tagTargets.get(digest) ?? []),
      );
    }
    return seen;
  };
  const keptReach = reach([...kept.map((item) => item.digest), ...input.protectedDigests.keys()]);

  const deleted = new Map<string, { tags: string[]; referrers: string[]; children: string[] }>();
  const claimed = new Set<string>(keptReach);
  const deleteWith = (digest: string, tags: string[]) => {
    const reached = [...reach([digest])].filter((other) => other !== digest && !claimed.has(other));
    reached.forEach((other) => claimed.add(other));
    claimed.add(digest);
    deleted.set(digest, { tags, referrers: [], children: reached.sort() });
  };
  for (const [digest, tags] of roots) {
    deleteWith(digest, tags);
  }

  for (const item of referrerTags) {
    const subjectKept = keptReach.has(item.subject);
    const owner = [...deleted.entries()].find(
      ([digest, entry]) => digest === item.subject || entry.children.includes(item.subject),
    );
    if (subjectKept || (owner === undefined && input.facts.get(item.subject)?.missing !== true)) {
      kept.push({
        tag: item.tag,
        digest: item.digest,
        reason: subjectKept
          ? `referrer of ${shortDigest(item.subject)}, which is kept`
          : `referrer of ${shortDigest(item.subject)}, which is still in the repository`,
      });
    } else if (owner !== undefined) {
      owner[1].referrers.push(item.tag);
    } else if (deleted.has(item.digest)) {
      deleted.get(item.digest)!.tags.push(item.tag);
    } else {
      // The subject is gone (deleted before referrers were cleaned up): an orphan.
      deleteWith(item.digest, [item.tag]);
    }
  }

  const created = (digest: string) => createdTime(input.facts, digest);
  return {
    repository: input.repository,
    keep: input.keep,
    kept: kept.sort((a, b) => compare(a.tag, b.tag)),
    deleted: [...deleted.entries()]
      .map(([digest, entry]) => ({
        digest,
        tags: [...entry.tags].sort(),
        referrers: [...entry.referrers].sort(),
        children: entry.children,
      }))
      .sort(
        (a, b) => compare(created(a.digest), created(b.digest)) || compare(a.tags[0]!, b.tags[0]!),
      ),
  };
}
