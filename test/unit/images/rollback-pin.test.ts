import { strict as assert } from "node:assert";
import { ConfigError, validateConfig } from "../../../src/config";
import { endedPinMessage, holdRollbackPins, type SourceInfo } from "../../../src/images";

const DIGEST = `sha256:${"c3".repeat(32)}`;
const APP_COMMIT = "a".repeat(40);
const SOURCE: SourceInfo = {
  sha: "f".repeat(40),
  branch: "main",
  defaultBranch: "main",
  commitCount: 9,
  commitTime: "2026-12-07T08:00:00Z",
  dirty: false,
  contexts: {
    app: { sha: APP_COMMIT, commitTime: "2026-12-06T08:00:00Z", commitCount: 7, dirty: false },
  },
};

function config(pin: Record<string, unknown>) {
  return validateConfig("local", {
    registry: { server: "127.0.0.1:5000", insecure: true },
    images: {
      web: { build: { context: "app", stamp: "context" }, pin },
      api: { build: { context: "api" } },
    },
  });
}

describe("a build stack's rollback pin (pin.pinnedAt beside build)", () => {
  it("runs the pin while the build would still come from the pinned commit", () => {
    const {
      config: running,
      held,
      ended,
    } = holdRollbackPins(config({ digest: DIGEST, restores: 2, pinnedAt: APP_COMMIT }), SOURCE);
    assert.deepEqual(held, ["web"]);
    assert.deepEqual(ended, []);
    assert.deepEqual(running.images[0], {
      kind: "pin",
      name: "web",
      pin: { digest: DIGEST, restores: 2 },
    });
    assert.equal(running.images[1]!.kind, "build");
  });

  it("ends with the next build release: a commit that changes the image builds it again, and says so", () => {
    const later = { ...SOURCE.contexts!.app!, sha: "b".repeat(40), commitCount: 8 };
    const {
      config: running,
      held,
      ended,
    } = holdRollbackPins(config({ digest: DIGEST, restores: 2, pinnedAt: APP_COMMIT }), {
      ...SOURCE,
      contexts: { app: later },
    });
    assert.deepEqual(held, []);
    assert.deepEqual(ended, [
      { image: "web", restores: 2, pinnedAt: APP_COMMIT, now: "b".repeat(40) },
    ]);
    assert.equal(running.images[0]!.kind, "build");
    assert.equal(
      endedPinMessage("local", ended[0]!),
      "image web: the rollback pin to release #2 ended: commit bbbbbbb changed it after aaaaaaa, so local builds it again; remove the pin from its stack file: slipway rollback --stack local --unpin web",
    );
  });

  it("refuses a pin beside build without pinnedAt or restores, and pinnedAt without build", () => {
    const problems = (images: Record<string, unknown>) => {
      try {
        validateConfig("local", { registry: { server: "127.0.0.1:5000" }, images });
        return [];
      } catch (error) {
        return (error as ConfigError).issues.map((issue) => issue.message);
      }
    };
    assert.deepEqual(problems({ web: { build: { context: "app" }, pin: { digest: DIGEST } } }), [
      "has both build and pin; keep one (a build stack's rollback pin, written by slipway rollback, has pinnedAt)",
    ]);
    assert.deepEqual(
      problems({
        web: { build: { context: "app" }, pin: { digest: DIGEST, pinnedAt: APP_COMMIT } },
      }),
      [
        "is required beside pinnedAt: the release the rollback restores (slipway rollback writes both)",
      ],
    );
    assert.deepEqual(problems({ web: { pin: { digest: DIGEST, pinnedAt: APP_COMMIT } } }), [
      "only goes beside build: it says until when a build stack runs a rollback pin instead of building",
    ]);
  });
});
