import { strict as assert } from "node:assert";
import { appendRelease, parseLedger, setPins, type NewRelease } from "../../../src/ledger";
import { DEV, PROD, project, slipway, type Project } from "./harness";

const PROMOTION = "  slipway:promotion:\n    from: dev\n    minSoakMinutes: 60\n";

describe("slipway promote: soak time and --auto", () => {
  let p: Project;
  let older: string;
  let newer: string;
  let edge: string;

  function devRelease(web: string, at: string): NewRelease {
    const server = p.registry.server;
    return {
      at,
      kind: "up",
      by: "pulumi up",
      user: "ci",
      images: {
        web: { ref: `${server}/acme/web@${web}`, digest: web },
        edge: { ref: `${server}/acme/edge@${edge}`, digest: edge },
      },
      update: { result: "succeeded" },
    };
  }

  function exported(name: string, image: string) {
    const repository = `${p.registry.server}/acme/${name}`;
    return {
      repository,
      digest: image,
      ref: `${repository}@${image}`,
      tags: [],
      platforms: ["linux/amd64", "linux/arm64"],
    };
  }

  const at = (time: string) => ({ now: () => new Date(time) });

  beforeEach(async () => {
    p = await project({ "Pulumi.dev.yaml": DEV, "Pulumi.prod.yaml": PROD + PROMOTION });
    const platforms = ["linux/amd64", "linux/arm64"];
    older = p.registry.pushIndex("acme/web", platforms, { content: "web 1" });
    newer = p.registry.pushIndex("acme/web", platforms, { content: "web 2" });
    edge = p.registry.pushIndex("acme/edge", platforms, { content: "edge" });
    // dev ran older from 08:00, newer from 09:30 (and again at 09:45: one unbroken run).
    let text = appendRelease(undefined, "dev", devRelease(older, "2025-03-01T08:00:00Z")).text;
    text = appendRelease(text, "dev", devRelease(newer, "2025-03-01T09:30:00Z")).text;
    p.write("stacks/releases/dev.yaml", text);
    p.driver.lastUpdates.dev = { result: "succeeded", version: 9 };
    p.driver.stackOutputs.dev = {
      images: { web: exported("web", newer), edge: exported("edge", edge) },
    };
  });
  afterEach(async () => p.close());

  it("refuses a digest younger than minSoakMinutes on the source, saying when it is eligible", async () => {
    const result = await slipway(p, ["promote", "--from", "dev", "--to", "prod"]);
    assert.deepEqual(result, {
      code: 3,
      stdout: "",
      stderr:
        `slipway: refused (slipway:promotion.minSoakMinutes of prod): web: ${newer} has run on dev for 30 min (since 2025-03-01T09:30:00Z, release #2), less than minSoakMinutes 60; eligible at 2025-03-01T10:30:00Z\n` +
        "next:\n  slipway promote --from dev --to prod --force  # promote it before it soaked\n",
    });
    assert.equal(p.driver.ups.length, 0);
  });

  it("refuses a digest the source no longer runs (not in sync there)", async () => {
    p.driver.stackOutputs.dev = {
      images: { web: exported("web", older), edge: exported("edge", edge) },
    };
    const result = await slipway(
      p,
      ["promote", "--from", "dev", "--to", "prod"],
      at("2025-03-02T00:00:00Z"),
    );
    assert.equal(result.code, 3);
    assert.equal(
      result.stderr.split("\n")[0],
      `slipway: refused (slipway:promotion.minSoakMinutes of prod): web: ${older} is not what dev runs (its last release #2 runs ${newer})`,
    );
  });

  it("--auto waits (exit 0) until the digest soaked, then promotes it; a rollback holds it until a manual promote", async () => {
    const early = await slipway(p, ["promote", "--to", "prod", "--auto"]);
    assert.deepEqual(early, {
      code: 0,
      stderr: "",
      stdout: `nothing eligible to promote from dev to prod yet: web: ${newer} has run on dev for 30 min (since 2025-03-01T09:30:00Z, release #2), less than minSoakMinutes 60; eligible at 2025-03-01T10:30:00Z\n`,
    });
    assert.equal(p.driver.ups.length, 0);

    const later = await slipway(
      p,
      ["promote", "--to", "prod", "--auto"],
      at("2025-03-01T10:31:00Z"),
    );
    assert.equal(later.code, 0, later.stderr);
    assert.match(
      later.stderr,
      /^soaked: web has run on dev since 2025-03-01T09:30:00Z; edge has run on dev since 2025-03-01T08:00:00Z \(minSoakMinutes 60\)\n/,
    );
    assert.match(later.stdout, /^promoted dev -> prod, release #1:\n/);
    const ledger = () => parseLedger(p.read("stacks/releases/prod.yaml"), "prod");
    assert.deepEqual(
      ledger().releases.map((r) => [r.id, r.kind, r.by, r.images.web!.digest]),
      [[1, "promote", "slipway promote --to prod --auto", newer]],
    );

    // Someone rolls prod back (here: a recorded rollback release): --auto holds.
    const rolledBack = appendRelease(p.read("stacks/releases/prod.yaml"), "prod", {
      ...devRelease(older, "2025-03-01T11:00:00Z"),
      kind: "rollback",
      by: "slipway rollback --stack prod",
      user: "bob",
      restores: 1,
    }).text;
    p.write("stacks/releases/prod.yaml", rolledBack);
    p.write(
      "Pulumi.prod.yaml",
      setPins(p.read("Pulumi.prod.yaml"), {
        web: { digest: older, source: null, restores: 1 },
      }),
    );
    const held = await slipway(
      p,
      ["promote", "--to", "prod", "--auto"],
      at("2025-03-01T12:00:00Z"),
    );
    assert.deepEqual(held, {
      code: 0,
      stderr: "",
      stdout:
        "held: release #2 of prod is a rollback to #1 by bob at 2025-03-01T11:00:00Z; promote --auto promotes nothing until someone promotes by hand:\n" +
        "  slipway promote --from dev --to prod\n",
    });
    assert.equal(p.driver.ups.length, 1);

    // A manual promote lifts the hold.
    const manual = await slipway(
      p,
      ["promote", "--from", "dev", "--to", "prod"],
      at("2025-03-01T12:00:00Z"),
    );
    assert.equal(manual.code, 0, manual.stderr);
    const again = await slipway(
      p,
      ["promote", "--to", "prod", "--auto"],
      at("2025-03-01T12:05:00Z"),
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^prod already pins what dev runs/);
  });

  it("--auto without slipway:promotion is refused with the key to set; --from elsewhere is a usage error", async () => {
    p.write("Pulumi.prod.yaml", PROD);
    const result = await slipway(p, ["promote", "--to", "prod", "--auto"]);
    assert.deepEqual(result, {
      code: 3,
      stdout: "",
      stderr:
        "slipway: promote --auto needs slipway:promotion in Pulumi.prod.yaml: the stack to promote from and how long a digest must run there first\n" +
        "next:\n" +
        "  pulumi config set --path --stack prod slipway:promotion.from dev\n" +
        "  pulumi config set --path --stack prod slipway:promotion.minSoakMinutes 60\n",
    });
    p.write("Pulumi.prod.yaml", PROD + PROMOTION);
    const elsewhere = await slipway(p, ["promote", "--from", "qa", "--to", "prod", "--auto"]);
    assert.equal(elsewhere.code, 2);
    assert.equal(
      elsewhere.stderr,
      "slipway: --from qa is not slipway:promotion.from of prod (dev); --auto promotes only from there\n",
    );
    const none = await slipway(p, ["promote", "--to", "prod"]);
    assert.equal(none.code, 2);
    assert.equal(
      none.stderr,
      "slipway: give --from <stack>, or --auto to promote from slipway:promotion.from\nnext:\n  slipway promote --from dev --to prod\n",
    );
  });

  it("refuses slipway:promotion on a build stack, from itself, and a soak out of range, at validation", async () => {
    p.write(
      "Pulumi.prod.yaml",
      PROD + "  slipway:promotion:\n    from: prod\n    minSoakMinutes: 50000\n",
    );
    const result = await slipway(p, ["promote", "--from", "dev", "--to", "prod"]);
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      /slipway:promotion\.minSoakMinutes: must be at most 43200 \(30 days\)/,
    );
    assert.match(
      result.stderr,
      /slipway:promotion\.from: is this stack \(prod\); name the stack its digests come from, e\.g\. dev/,
    );
  });
});
