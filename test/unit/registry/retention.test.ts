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
        { digest: d(1), tags: ["dev-1-gabc0001", "sha-abc0001"] },
        { digest: d(60), tags: ["pr-7"] },
        { digest: d(3), tags: ["dev-3-gabc0003", "sha-abc0003"] },
        { digest: d(4), tags: ["dev-4-gabc0004", "sha-abc0004"] },
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
    assert.deepEqual(plan.deleted, [{ digest: d(9), tags: ["dev-9-gdeadbee"] }]);
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
