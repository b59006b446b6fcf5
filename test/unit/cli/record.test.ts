/**
 * The ledger records every release exactly once, whichever path made it: slipway's own
 * updates, and `pulumi up` (quick start, CI) followed by `slipway record`.
 */
import { strict as assert } from "node:assert";
import { parseLedger, recordRelease, releaseOf, type Ledger } from "../../../src/ledger";
import type { ReleaseOutput } from "../../../src/outputs/contract";
import { digest, PROD, project, slipway, type Project } from "./harness";

const ledgerOf = (p: Project): Ledger => parseLedger(p.read("stacks/releases/prod.yaml"), "prod");

describe("the release ledger", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "Pulumi.prod.yaml": PROD });
  });
  afterEach(async () => p.close());

  /** What `pulumi up` does outside slipway: the program's outputs, a new history entry. */
  async function pulumiUp(): Promise<void> {
    await p.driver.up("prod", { onOutput: () => undefined });
  }

  it("records a plain pulumi up once with slipway record, with its version, and never twice", async () => {
    await pulumiUp();
    const first = await slipway(p, ["record", "--stack", "prod"]);
    assert.deepEqual(first, {
      code: 0,
      stdout: "recorded release #1 of prod (up, version 41)\n",
      stderr: "recorded release #1 in stacks/releases/prod.yaml\n",
    });
    const [release] = ledgerOf(p).releases;
    assert.deepEqual(
      { kind: release!.kind, by: release!.by, version: release!.update.version },
      { kind: "up", by: "pulumi up", version: 41 },
    );
    // The same update again (a re-run CI job): already recorded.
    assert.equal(
      (await slipway(p, ["record", "--stack", "prod"])).stdout,
      "version 41 of prod is already recorded as release #1\n",
    );
    // A no-op update: a new version, the same digests: no entry.
    await pulumiUp();
    assert.equal(
      (await slipway(p, ["record", "--stack", "prod"])).stdout,
      "prod runs what release #1 ran; no new release to record\n",
    );
    assert.equal(ledgerOf(p).releases.length, 1);
  });

  /** `pulumi up` with the program's own last step: the ledger record (ReleaseRecord). */
  async function pulumiUpRecording(): Promise<void> {
    const outcome = await p.driver.up("prod", { onOutput: () => undefined });
    recordRelease(
      {
        root: p.root,
        stack: "prod",
        releaseId: 1,
        release: outcome.outputs.release as ReleaseOutput | null,
        by: "pulumi up",
        user: "ci",
      },
      "2025-03-01T09:59:00Z",
    );
  }

  it("a plain pulumi up records itself; slipway record then adds its version, never a second entry", async () => {
    await pulumiUpRecording();
    assert.deepEqual(
      ledgerOf(p).releases.map((r) => [r.id, r.by, r.update.version]),
      [[1, "pulumi up", undefined]],
    );
    const record = await slipway(p, ["record", "--stack", "prod"]);
    assert.deepEqual(record, {
      code: 0,
      stdout: "recorded release #1 of prod (up, version 41)\n",
      stderr: "",
    });
    assert.equal(
      (await slipway(p, ["record", "--stack", "prod"])).stdout,
      "version 41 of prod is already recorded as release #1\n",
    );
    assert.deepEqual(
      ledgerOf(p).releases.map((r) => [r.id, r.by, r.user, r.update.version]),
      [[1, "pulumi up", "ci", 41]],
    );
  });

  it("records what slipway up did once: slipway record afterwards adds nothing", async () => {
    assert.equal((await slipway(p, ["up", "--stack", "prod"])).code, 0);
    assert.equal(
      (await slipway(p, ["record", "--stack", "prod"])).stdout,
      "version 41 of prod is already recorded as release #1\n",
    );
    assert.equal(ledgerOf(p).releases.length, 1);
  });

  it("keeps kind and source on the review path: promote --no-up, then pulumi up and slipway record", async () => {
    p.write(
      "Pulumi.prod.yaml",
      p
        .read("Pulumi.prod.yaml")
        .replace("tag: sha-0000001\n", "tag: sha-0000001\n        source: dev\n"),
    );
    await pulumiUp();
    await slipway(p, ["record", "--stack", "prod"]);
    const [release] = ledgerOf(p).releases;
    assert.deepEqual(
      { kind: release!.kind, source: release!.source },
      { kind: "promote", source: "dev" },
    );
  });

  it("records nothing for a failed update, nor while an interrupted one left operations pending", async () => {
    await pulumiUp();
    p.driver.lastUpdates.prod = { result: "failed", version: 42 };
    assert.deepEqual(await slipway(p, ["record", "--stack", "prod"]), {
      code: 0,
      stdout: "the last update of prod (version 42) failed; nothing to record\n",
      stderr: "",
    });
    p.driver.lastUpdates.prod = { result: "succeeded", version: 42 };
    p.driver.pending.prod = ["command:remote:Command web-1-release, interrupted while creating"];
    const pending = await slipway(p, ["record", "--stack", "prod"]);
    assert.equal(pending.code, 3);
    assert.match(
      pending.stderr,
      /left operations pending .*; nothing was recorded\nnext:\n {2}pulumi refresh --stack prod --clear-pending-creates --yes\n/,
    );
    assert.equal(p.exists("stacks/releases/prod.yaml"), false);
  });
});

describe("the release an update makes", () => {
  const image = (n: number) => ({ ref: `ghcr.io/acme/web@${digest(n)}`, digest: digest(n) });
  const ledger = (...digests: number[]): Ledger => ({
    stack: "prod",
    releases: digests.map((n, index) => ({
      id: index + 1,
      at: "2025-01-01T00:00:00Z",
      kind: "up",
      by: "pulumi up",
      images: { web: image(n) },
      update: { result: "succeeded", version: index + 1 },
    })),
  });

  it("is nothing when it runs what the last release ran", () => {
    assert.equal(releaseOf(ledger(1, 2), { web: image(2) }, {}), undefined);
    assert.equal(releaseOf(ledger(), {}, {}), undefined);
  });

  it("is a promotion, a rollback or an up, from the pins of the images that change", () => {
    assert.deepEqual(releaseOf(ledger(1), { web: image(2) }, { web: { source: "dev" } }), {
      kind: "promote",
      source: "dev",
      images: { web: image(2) },
    });
    assert.deepEqual(releaseOf(ledger(1, 2), { web: image(1) }, { web: { restores: 1 } }), {
      kind: "rollback",
      restores: 1,
      images: { web: image(1) },
    });
    assert.deepEqual(releaseOf(ledger(1), { web: image(3) }, {}), {
      kind: "up",
      images: { web: image(3) },
    });
    // A pin's source says where that image came from; an unchanged image's does not count.
    assert.deepEqual(
      releaseOf(
        ledger(1),
        { web: image(1), proxy: { ref: `ghcr.io/acme/proxy@${digest(9)}`, digest: digest(9) } },
        { web: { source: "dev" } },
      )?.kind,
      "up",
    );
  });
});
