import { strict as assert } from "node:assert";
import { planRetention, type DigestFacts, type TaggedDigest } from "../../../src/registry";

const d = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

/** Five dev builds, each tagged dev-<n>-g<sha> and sha-<sha>, plus releases and moving tags. */
function repository(): { tags: TaggedDigest[]; facts: Map<string, DigestFacts> } {
  const tags: TaggedDigest[] = [];
  const facts = new Map<string, DigestFacts>();
  for (let n = 1; n <= 5; n += 1) {
    tags.push(
      { tag: `dev-${n}-gabc000${n}`, digest: d(n) },
      { tag: `sha-abc000${n}`, digest: d(n) },
    );
    facts.set(d(n), { created: `2025-01-0${n}T00:00:00Z`, children: [d(100 + n)] });
  }
  tags.push(
    { tag: "dev", digest: d(5) },
    { tag: "v1.0.0", digest: d(2) },
    { tag: "1.0", digest: d(2) },
    { tag: "latest", digest: d(2) },
    { tag: "buildcache", digest: d(50) },
    { tag: "pr-7", digest: d(60) },
    { tag: "pr-9", digest: d(61) },
    { tag: "feature-x", digest: d(70) },
  );
  facts.set(d(60), { created: "2025-01-02T12:00:00Z", children: [] });
  facts.set(d(61), { created: "2025-01-04T12:00:00Z", children: [] });
  return { tags, facts };
}

describe("retention plan", () => {
  it("keeps releases, moving tags, unknown tags and the newest N per kind; deletes the rest", () => {
    const { tags, facts } = repository();
    const plan = planRetention({
      repository: "127.0.0.1:5000/slipway/web",
      tags,
      facts,
      keep: 1,
      protectedDigests: new Map(),
    });
    assert.deepEqual(plan, {
      repository: "127.0.0.1:5000/slipway/web",
      keep: 1,
      kept: [
        { tag: "1.0", digest: d(2), reason: "release tag" },
        { tag: "buildcache", digest: d(50), reason: "build cache" },
        { tag: "dev", digest: d(5), reason: "the moving dev tag" },
        { tag: "dev-2-gabc0002", digest: d(2), reason: "same digest as 1.0" },
        { tag: "dev-5-gabc0005", digest: d(5), reason: "newest 1 dev-<count>-g<sha>" },
        { tag: "feature-x", digest: d(70), reason: "not a tag Slipway publishes" },
        { tag: "latest", digest: d(2), reason: "latest" },
        { tag: "pr-9", digest: d(61), reason: "newest 1 pr-*" },
        { tag: "sha-abc0002", digest: d(2), reason: "same digest as 1.0" },
        { tag: "sha-abc0005", digest: d(5), reason: "newest 1 sha-*" },
        { tag: "v1.0.0", digest: d(2), reason: "release tag" },
      ],
      deleted: [
        {
          digest: d(1),
          tags: ["dev-1-gabc0001", "sha-abc0001"],
          referrers: [],
          children: [d(101)],
        },
        { digest: d(60), tags: ["pr-7"], referrers: [], children: [] },
        {
          digest: d(3),
          tags: ["dev-3-gabc0003", "sha-abc0003"],
          referrers: [],
          children: [d(103)],
        },
        {
          digest: d(4),
          tags: ["dev-4-gabc0004", "sha-abc0004"],
          referrers: [],
          children: [d(104)],
        },
      ],
    });
  });

  it("never deletes a digest a ledger or pin references, directly or as a child of an index", () => {
    const { tags, facts } = repository();
    const plan = planRetention({
      repository: "r",
      tags,
      facts,
      keep: 0,
      protectedDigests: new Map([
        [d(1), ["pinned in Pulumi.prod.yaml (web)"]],
        [d(103), ["ledger of prod #2 (web)"]],
      ]),
    });
    assert.deepEqual(
      plan.kept.filter((tag) => /^(dev-|sha-|pr-)/.test(tag.tag)),
      [
        {
          tag: "dev-1-gabc0001",
          digest: d(1),
          reason: "protected: pinned in Pulumi.prod.yaml (web)",
        },
        { tag: "dev-2-gabc0002", digest: d(2), reason: "same digest as 1.0" },
        {
          tag: "dev-3-gabc0003",
          digest: d(3),
          reason: `protected: lists ${d(103)}, ledger of prod #2 (web)`,
        },
        { tag: "dev-5-gabc0005", digest: d(5), reason: "same digest as dev" },
        { tag: "sha-abc0001", digest: d(1), reason: "protected: pinned in Pulumi.prod.yaml (web)" },
        { tag: "sha-abc0002", digest: d(2), reason: "same digest as 1.0" },
        {
          tag: "sha-abc0003",
          digest: d(3),
          reason: `protected: lists ${d(103)}, ledger of prod #2 (web)`,
        },
        { tag: "sha-abc0005", digest: d(5), reason: "same digest as dev" },
      ],
    );
    assert.deepEqual(
      plan.deleted.map((entry) => entry.tags),
      [["pr-7"], ["dev-4-gabc0004", "sha-abc0004"], ["pr-9"]],
    );
  });

  it("orders dev builds by commit count even when their images have the same creation time", () => {
    const tags = [10, 9, 11].map((n) => ({ tag: `dev-${n}-gdeadbee`, digest: d(n) }));
    const plan = planRetention({
      repository: "r",
      tags,
      facts: new Map(),
      keep: 2,
      protectedDigests: new Map(),
    });
    assert.deepEqual(
      plan.kept.map((tag) => tag.tag),
      ["dev-10-gdeadbee", "dev-11-gdeadbee"],
    );
    assert.deepEqual(plan.deleted, [
      { digest: d(9), tags: ["dev-9-gdeadbee"], referrers: [], children: [] },
    ]);
  });

  /**
   * Three dev builds (keep 1): build 1 has an oras attestation (referrers tag schema) and a
   * cosign signature; build 2 an attestation found by the referrers API and a platform image
   * shared with build 3; build 3 an attestation. Plus an orphan (its subject is gone) and a
   * referrer of an untagged digest that is still there.
   */
  function referrerRepository() {
    const hex = (n: number) => d(n).slice("sha256:".length);
    const tags: TaggedDigest[] = [1, 2, 3].map((n) => ({
      tag: `dev-${n}-gabc000${n}`,
      digest: d(n),
    }));
    tags.push(
      { tag: `sha256-${hex(1)}`, digest: d(31) },
      { tag: `sha256-${hex(1)}.sig`, digest: d(51) },
      { tag: `sha256-${hex(3)}`, digest: d(33) },
      { tag: `sha256-${hex(90)}.att`, digest: d(80) },
      { tag: `sha256-${hex(91)}`, digest: d(81) },
    );
    const facts = new Map<string, DigestFacts>([
      [d(1), { created: "2025-01-01T00:00:00Z", children: [d(11), d(21)] }],
      [
        d(2),
        { created: "2025-01-02T00:00:00Z", children: [d(12), d(22), d(13)], referrers: [d(62)] },
      ],
      [d(3), { created: "2025-01-03T00:00:00Z", children: [d(13), d(23)] }],
      [d(31), { children: [d(41)] }],
      [d(33), { children: [d(43)] }],
      [d(51), { children: [] }],
      [d(80), { children: [] }],
      [d(81), { children: [] }],
      [d(90), { children: [], missing: true }],
      [d(91), { children: [], missing: false }],
    ]);
    return { tags, facts, hex };
  }

  it("deletes referrers (tags and referrers API) and what they list with their subject, never what a kept digest reaches", () => {
    const { tags, facts, hex } = referrerRepository();
    const plan = planRetention({
      repository: "r",
      tags,
      facts,
      keep: 1,
      protectedDigests: new Map(),
    });
    assert.deepEqual(plan.kept, [
      { tag: "dev-3-gabc0003", digest: d(3), reason: "newest 1 dev-<count>-g<sha>" },
      {
        tag: `sha256-${hex(3)}`,
        digest: d(33),
        reason: `referrer of ${d(3).slice(0, 19)}, which is kept`,
      },
      {
        tag: `sha256-${hex(91)}`,
        digest: d(81),
        reason: `referrer of ${d(91).slice(0, 19)}, which is still in the repository`,
      },
    ]);
    assert.deepEqual(plan.deleted, [
      { digest: d(80), tags: [`sha256-${hex(90)}.att`], referrers: [], children: [] },
      {
        digest: d(1),
        tags: ["dev-1-gabc0001"],
        referrers: [`sha256-${hex(1)}`, `sha256-${hex(1)}.sig`],
        children: [d(11), d(21), d(31), d(41), d(51)],
      },
      { digest: d(2), tags: ["dev-2-gabc0002"], referrers: [], children: [d(12), d(22), d(62)] },
    ]);
  });

  it("keeps the referrers of a pinned digest with it", () => {
    const { tags, facts, hex } = referrerRepository();
    const plan = planRetention({
      repository: "r",
      tags,
      facts,
      keep: 1,
      protectedDigests: new Map([[d(1), ["pinned in Pulumi.prod.yaml (web)"]]]),
    });
    assert.deepEqual(
      plan.kept.filter((tag) => tag.tag.startsWith(`sha256-${hex(1)}`)).map((tag) => tag.reason),
      [1, 2].map(() => `referrer of ${d(1).slice(0, 19)}, which is kept`),
    );
    assert.deepEqual(
      plan.deleted.map((entry) => entry.digest),
      [d(80), d(2)],
    );
  });

  it("refuses a negative or fractional keep", () => {
    assert.throws(
      () =>
        planRetention({
          repository: "r",
          tags: [],
          facts: new Map(),
          keep: -1,
          protectedDigests: new Map(),
        }),
      { name: "RangeError", message: "keep must be a whole number of at least 0, got -1" },
    );
  });
});
