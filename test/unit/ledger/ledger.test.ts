import { strict as assert } from "node:assert";
import { appendRelease, parseLedger, type NewRelease } from "../../../src/ledger";
import { digest } from "./fixtures";

const FIRST: NewRelease = {
  at: "2025-01-31T12:00:00Z",
  kind: "promote",
  by: "slipway promote --from dev --to prod",
  user: "alice",
  source: "dev",
  images: {
    web: {
      ref: `ghcr.io/acme/web@${digest(1)}`,
      digest: digest(1),
      tag: "sha-4c2a9e1",
      revision: "4c2a9e1f0a",
    },
  },
  update: { result: "succeeded", version: 12, seconds: 41.5 },
};

const FIRST_TEXT = `# Release ledger of stack prod: one entry per successful update made by slipway
# (promote, rollback, up). Written by the CLI and reviewed in git; do not edit by hand.
#   slipway history --stack prod    shows it as a table
#   slipway rollback --stack prod   pins an earlier entry and runs the update
stack: prod
releases:
  - id: 1
    at: 2025-01-31T12:00:00Z
    kind: promote
    by: slipway promote --from dev --to prod
    user: alice
    source: dev
    images:
      web:
        ref: ghcr.io/acme/web@${digest(1)}
        digest: ${digest(1)}
        tag: sha-4c2a9e1
        revision: 4c2a9e1f0a
    update:
      result: succeeded
      version: 12
      seconds: 41.5
`;

describe("release ledger", () => {
  it("starts a ledger with a header and numbers the first release 1", () => {
    const { text, release } = appendRelease(undefined, "prod", FIRST);
    assert.equal(text, FIRST_TEXT);
    assert.equal(release.id, 1);
    assert.deepEqual(parseLedger(text, "prod"), { stack: "prod", releases: [{ id: 1, ...FIRST }] });
  });

  it("appends after the last release and keeps comments people added", () => {
    const annotated = FIRST_TEXT.replace(
      "  - id: 1\n",
      "  # the first release, approved in #123\n  - id: 1\n",
    );
    const { text, release } = appendRelease(annotated, "prod", {
      at: "2025-02-01T09:30:00Z",
      kind: "rollback",
      by: "slipway rollback --stack prod",
      restores: 1,
      images: { web: { ref: `ghcr.io/acme/web@${digest(1)}`, digest: digest(1) } },
      update: { result: "succeeded" },
    });
    assert.equal(release.id, 2);
    assert.equal(
      text,
      `${annotated}  - id: 2
    at: 2025-02-01T09:30:00Z
    kind: rollback
    by: slipway rollback --stack prod
    restores: 1
    images:
      web:
        ref: ghcr.io/acme/web@${digest(1)}
        digest: ${digest(1)}
    update:
      result: succeeded
`,
    );
  });

  it("refuses the ledger of another stack, a bad digest and merged duplicate ids", () => {
    assert.throws(() => parseLedger(FIRST_TEXT, "dev", "stacks/releases/dev.yaml"), {
      message: 'stacks/releases/dev.yaml is the ledger of stack "prod", not "dev"',
    });
    assert.throws(
      () => parseLedger(FIRST_TEXT.replace(`digest: ${digest(1)}`, "digest: sha256:abc"), "prod"),
      {
        name: "LedgerError",
        message:
          "stacks/releases/prod.yaml is not a valid ledger:\n" +
          "  releases[0].images.web.digest: a sha256 digest has 64 hex digits after 'sha256:'; this has 3\n" +
          `  releases[0].images.web.ref: names ${digest(1)}, but digest is sha256:abc`,
      },
    );
    const twice = FIRST_TEXT + FIRST_TEXT.slice(FIRST_TEXT.indexOf("  - id: 1"));
    assert.throws(() => parseLedger(twice, "prod"), {
      message:
        "stacks/releases/prod.yaml: releases[1] has id 1, expected 2; two edits of the ledger were merged (ids must count up from 1 in order)",
      next: [
        "git log -p -- stacks/releases/prod.yaml  # renumber the merged entries in time order, commit, then re-run",
      ],
    });
  });

  it("refuses a ledger with merge conflict markers", () => {
    const conflict = FIRST_TEXT.replace(
      "    user: alice\n",
      "<<<<<<< ours\n    user: alice\n=======\n    user: bob\n>>>>>>> theirs\n",
    );
    assert.throws(() => appendRelease(conflict, "prod", FIRST), {
      message:
        'stacks/releases/prod.yaml has an unresolved merge conflict (line 11: "<<<<<<< ours"); nothing was changed',
    });
  });
});
