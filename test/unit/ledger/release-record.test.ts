import { strict as assert } from "node:assert";
import { releaseRecordProvider, type ReleaseRecordState } from "../../../infra/ledger";
import type { ReleaseOutput } from "../../../src/outputs/contract";
import { digest } from "./fixtures";

const image = (n: number) => ({
  ref: `127.0.0.1:5000/slipway/web@${digest(n)}`,
  digest: digest(n),
});
const RELEASE: ReleaseOutput = { kind: "up", images: { web: image(1) } };

const state = (releaseId: number, release: ReleaseOutput | null): ReleaseRecordState => ({
  root: "/project",
  stack: "local",
  releaseId,
  release,
  by: "pulumi up",
  user: "ci",
  module: "/project/dist/src/ledger/auto-record.js",
});

describe("ReleaseRecord: when an update records its release", () => {
  const diff = async (olds: ReleaseRecordState, news: ReleaseRecordState) =>
    (await releaseRecordProvider.diff!("local-ledger", olds, news)).changes;

  it("records a new release, and again when the release differs", async () => {
    assert.equal(await diff(state(3, null), state(3, RELEASE)), true);
    const other: ReleaseOutput = { ...RELEASE, images: { web: image(2) } };
    assert.equal(await diff(state(3, RELEASE), state(4, other)), true);
  });

  it("takes no step for a no-op update after a recorded one (the next id moves on, the release is null)", async () => {
    assert.equal(await diff(state(3, RELEASE), state(4, null)), false);
  });

  it("takes no step when the same release is declared again", async () => {
    assert.equal(await diff(state(3, RELEASE), state(3, RELEASE)), false);
  });
});
