import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  activeRejections,
  appendFailures,
  appendRejectionEvent,
  completeRelease,
  parseLedger,
  parseRejections,
  recordRelease,
  releaseThatRan,
  type RejectionEvent,
} from "../../../src/ledger";
import type { ReleaseOutput } from "../../../src/outputs/contract";
import { failedWarnings, rejectedMessage } from "../../../stacks/safety";
import { digest, release } from "./fixtures";

const REJECT: RejectionEvent = {
  action: "reject",
  digest: digest(7),
  at: "2025-03-01T10:00:00Z",
  user: "alice",
  reason: "corrupts uploads",
};

describe("rejected digests", () => {
  it("are an event log: the last event of each digest decides, and an undo lifts it", () => {
    let text = appendRejectionEvent(undefined, REJECT);
    text = appendRejectionEvent(text, { ...REJECT, digest: digest(8), reason: "leaks memory" });
    text = appendRejectionEvent(text, {
      ...REJECT,
      action: "undo",
      at: "2025-03-02T10:00:00Z",
      user: "bob",
      reason: "fixed by 0042",
    });
    const events = parseRejections(text);
    assert.equal(events.length, 3);
    assert.deepEqual([...activeRejections(events).keys()], [digest(8)]);
  });

  it("refuse a malformed file with the path of each problem", () => {
    assert.throws(
      () => parseRejections("events:\n  - action: ban\n    digest: sha256:12\n"),
      (error: Error) => {
        assert.equal(
          error.message,
          "stacks/releases/rejected-digests.yaml is not a valid list of rejected digests:\n" +
            '  events[0].action: Invalid option: expected one of "reject"|"undo"\n' +
            "  events[0].digest: a sha256 digest has 64 hex digits after 'sha256:'; this has 2\n" +
            "  events[0].at: must be an ISO 8601 UTC time, e.g. 2025-01-31T12:00:00Z\n" +
            "  events[0].user: Invalid input: expected string, received undefined\n" +
            "  events[0].reason: Invalid input: expected string, received undefined",
        );
        return true;
      },
    );
  });

  it("stop the program before any resource, naming where the stack uses it, who, when, why and the fix", () => {
    const rejections = activeRejections([REJECT]);
    assert.equal(
      rejectedMessage("prod", rejections, [
        { what: "slipway:images.web.pin.digest", digest: digest(7) },
        { what: "slipway:images.edge.pin.digest", digest: digest(2) },
        { what: "slipway:accessories.db.image", digest: digest(7) },
      ]),
      "stack prod would deploy a rejected digest:\n" +
        `  slipway:images.web.pin.digest: ${digest(7)} was rejected by alice at 2025-03-01T10:00:00Z: corrupts uploads\n` +
        `  slipway:accessories.db.image: ${digest(7)} was rejected by alice at 2025-03-01T10:00:00Z: corrupts uploads\n` +
        "fix: pin another digest (slipway rollback --stack prod, or slipway promote --to prod), " +
        `or lift the rejection: slipway reject ${digest(7)} --undo --reason "<why it is safe again>"`,
    );
    assert.equal(
      rejectedMessage("prod", rejections, [{ what: "image web", digest: digest(2) }]),
      undefined,
    );
  });
});

describe("failed digests of a stack", () => {
  it("are listed once each in the ledger, and the preview warns about a pin of one", () => {
    const failure = {
      digest: digest(5),
      at: "2025-03-01T10:00:00Z",
      by: "slipway promote --from dev --to prod",
      user: "alice",
      reason: `host web-1: release ${digest(5)} did not become healthy within 30 s`,
    };
    const text = appendFailures(appendFailures(undefined, "prod", [failure]), "prod", [failure]);
    const ledger = parseLedger(text, "prod");
    assert.deepEqual(ledger.failed, [failure]);
    assert.deepEqual(
      failedWarnings(ledger, [{ what: "slipway:images.web.pin.digest", digest: digest(5) }]),
      [
        `slipway: slipway:images.web.pin.digest: ${digest(5)} failed its health check on prod at 2025-03-01T10:00:00Z and was reverted (host web-1: release ${digest(5)} did not become healthy within 30 s)`,
      ],
    );
  });
});

describe("the release an update records itself", () => {
  let root: string;
  const release: ReleaseOutput = {
    kind: "promote",
    source: "dev",
    images: { web: { ref: `ghcr.io/acme/web@${digest(1)}`, digest: digest(1) } },
  };
  const request = (over: Partial<Parameters<typeof recordRelease>[0]> = {}) => ({
    root,
    stack: "prod",
    releaseId: 1,
    release,
    by: "pulumi up",
    user: "ci",
    ...over,
  });
  const file = () => path.join(root, "stacks/releases/prod.yaml");

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-record-"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("is written once: a re-run of the record, or another update, finds it there", () => {
    const first = recordRelease(request(), "2025-03-01T10:00:00Z");
    assert.equal(first.recorded, "written");
    const text = fs.readFileSync(file(), "utf8");
    assert.match(
      text,
      new RegExp(
        "releases:\\n  - id: 1\\n    at: 2025-03-01T10:00:00Z\\n    kind: promote\\n    by: pulumi up\\n    user: ci\\n    source: dev\\n" +
          `    images:\\n      web:\\n        ref: ghcr.io/acme/web@${digest(1)}\\n        digest: ${digest(1)}\\n` +
          "    update:\\n      result: succeeded\\n$",
      ),
    );
    const again = recordRelease(request(), "2025-03-01T10:05:00Z");
    assert.equal(again.recorded, "already");
    assert.equal(fs.readFileSync(file(), "utf8"), text);
    // The next update of the same release (id 2 by now, same digests): still the one entry.
    assert.equal(
      recordRelease(request({ releaseId: 2 }), "2025-03-01T10:06:00Z").recorded,
      "already",
    );
    assert.equal(fs.readFileSync(file(), "utf8"), text);
  });

  it("writes nothing for a no-op update", () => {
    assert.deepEqual(recordRelease(request({ release: null }), "2025-03-01T10:00:00Z"), {
      recorded: "no-op",
    });
    assert.equal(fs.existsSync(file()), false);
  });

  it("is completed by slipway with the stack version, wall time and command", () => {
    recordRelease(request(), "2025-03-01T10:00:00Z");
    const text = completeRelease(fs.readFileSync(file(), "utf8"), "prod", 1, {
      by: "slipway promote --from dev --to prod",
      version: 41,
      seconds: 12.5,
    });
    assert.deepEqual(parseLedger(text, "prod").releases[0], {
      id: 1,
      at: "2025-03-01T10:00:00Z",
      kind: "promote",
      by: "slipway promote --from dev --to prod",
      user: "ci",
      source: "dev",
      images: release.images,
      update: { result: "succeeded", version: 41, seconds: 12.5 },
    });
  });
});

describe("the release of a stack that ran a digest (a release command ran then)", () => {
  const ledger = {
    stack: "prod",
    releases: [
      release(1, 1, {}, 9),
      release(2, 2, {}, 9),
      release(3, 1, { kind: "rollback", restores: 1 }, 9),
    ],
  };

  it("is the newest release that ran it as that image; none for another image or digest", () => {
    assert.equal(releaseThatRan(ledger, "web", digest(1)), 3);
    assert.equal(releaseThatRan(ledger, "web", digest(2)), 2);
    assert.equal(releaseThatRan(ledger, "proxy", digest(9)), 3);
    assert.equal(releaseThatRan(ledger, "proxy", digest(1)), undefined);
    assert.equal(releaseThatRan(ledger, "web", digest(4)), undefined);
    assert.equal(releaseThatRan({ stack: "prod", releases: [] }, "web", digest(1)), undefined);
  });
});
