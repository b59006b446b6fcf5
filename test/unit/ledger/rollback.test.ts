import { strict as assert } from "node:assert";
import { selectRollback, type Ledger } from "../../../src/ledger";
import { digest, release } from "./fixtures";

/** Releases of web: 1 → 2 → 3 → rollback to 2 → 4 (re-run) → 4. */
const LEDGER: Ledger = {
  stack: "prod",
  releases: [
    release(1, 1),
    release(2, 2),
    release(3, 3),
    release(4, 2, { kind: "rollback", restores: 2 }),
    release(5, 4),
    release(6, 4, { kind: "up", by: "slipway up --stack prod" }),
  ],
};
const pins = (n: number) => ({ web: { digest: digest(n) } });

describe("rollback target", () => {
  it("goes back one distinct release by default, counting a run of equal releases once", () => {
    const target = selectRollback(LEDGER, pins(4), {});
    assert.equal(target.release.id, 4);
    assert.deepEqual(target.images, LEDGER.releases[3]!.images);
  });

  it("goes back N distinct releases, rollbacks included (a second rollback undoes the first)", () => {
    assert.equal(selectRollback(LEDGER, pins(4), { steps: 2 }).release.id, 3);
    assert.equal(selectRollback(LEDGER, pins(4), { steps: 3 }).release.id, 2);
    assert.equal(selectRollback(LEDGER, pins(4), { steps: 4 }).release.id, 1);
    assert.throws(() => selectRollback(LEDGER, pins(4), { steps: 5 }), {
      message: "the ledger of prod has 4 earlier releases, fewer than --steps 5",
      next: ["slipway history --stack prod"],
    });
  });

  it("counts from what the stack pins, even when that was never deployed", () => {
    assert.equal(selectRollback(LEDGER, pins(9), {}).release.id, 6);
  });

  it("goes to the newest release that ran a digest, changing only that image", () => {
    const ledger: Ledger = {
      stack: "prod",
      releases: [release(1, 1, {}, 11), release(2, 2, {}, 12), release(3, 3, {}, 12)],
    };
    const target = selectRollback(
      ledger,
      { web: { digest: digest(3) }, proxy: { digest: digest(12) } },
      {
        to: digest(1),
      },
    );
    assert.equal(target.release.id, 1);
    assert.deepEqual(target.images, { web: ledger.releases[0]!.images.web });
    const byImage = selectRollback(
      ledger,
      { web: { digest: digest(3) }, proxy: { digest: digest(12) } },
      {
        images: ["proxy"],
      },
    );
    assert.equal(byImage.release.id, 1);
    assert.deepEqual(byImage.images, { proxy: ledger.releases[0]!.images.proxy });
  });

  it("goes to a release by its id, and refuses an id the ledger lacks or that runs now", () => {
    const target = selectRollback(LEDGER, pins(4), { release: 2 });
    assert.equal(target.release.id, 2);
    assert.deepEqual(target.images, LEDGER.releases[1]!.images);
    assert.throws(() => selectRollback(LEDGER, pins(4), { release: 9 }), {
      message: "the ledger of prod has no release #9 (it has #1 to #6)",
      next: ["slipway history --stack prod"],
    });
    assert.throws(() => selectRollback(LEDGER, pins(4), { release: 5 }), {
      message: "prod already pins what release #5 ran; nothing to roll back",
    });
    assert.throws(() => selectRollback(LEDGER, pins(4), { release: 2, steps: 1 }), {
      message: "give one of --release <n>, --to <digest> or --steps <n>",
    });
  });

  it("goes to a digest by an unambiguous prefix, with or without sha256:", () => {
    const ledger: Ledger = {
      stack: "prod",
      releases: [release(1, 0xab01, {}), release(2, 0xab02, {}), release(3, 0xcd03, {})],
    };
    const now = { web: { digest: digest(0xcd03) } };
    // digest(n) is zero-padded: the distinct digits are at the end, so prefixes need them all.
    const long = digest(0xab01).slice("sha256:".length, -1);
    assert.throws(() => selectRollback(ledger, now, { to: long }), {
      message: `--to ${long} is ambiguous: 2 digests in the ledger of prod start with it (${digest(0xab01)}, ${digest(0xab02)}); give more digits`,
      next: ["slipway history --stack prod"],
    });
    assert.equal(selectRollback(ledger, now, { to: `sha256:${long}1` }).release.id, 1);
    assert.equal(selectRollback(ledger, now, { to: `${long}2` }).release.id, 2);
    assert.throws(() => selectRollback(ledger, now, { to: "ffff" }), {
      message: "no release of prod ran a digest starting with sha256:ffff",
    });
  });

  it("refuses what it cannot do, with the next command", () => {
    assert.throws(() => selectRollback({ stack: "prod", releases: [] }, pins(1), {}), {
      message: "the ledger of prod has no releases yet, so there is nothing to roll back to",
      next: ["slipway promote --from <build stack> --to prod"],
    });
    assert.throws(() => selectRollback(LEDGER, pins(4), { to: digest(4) }), {
      message: `prod already pins ${digest(4)} (web); nothing to roll back`,
    });
    assert.throws(() => selectRollback(LEDGER, pins(4), { to: digest(77) }), {
      message: `no release of prod ran ${digest(77)}`,
      next: ["slipway history --stack prod"],
    });
    assert.throws(() => selectRollback(LEDGER, pins(4), { to: "sha256:abc" }), {
      message:
        "--to sha256:abc: a sha256 digest has 64 hex digits after 'sha256:'; this has 3 (give sha256:<hex>, or at least 4 of its first hex digits)",
    });
    assert.throws(() => selectRollback(LEDGER, pins(4), { images: ["api"] }), {
      message: 'no release of prod has an image "api"',
    });
    assert.throws(() => selectRollback({ stack: "prod", releases: [release(1, 1)] }, pins(1), {}), {
      message:
        "every release in the ledger of prod is what it pins now; there is nothing earlier to roll back to",
    });
  });
});
