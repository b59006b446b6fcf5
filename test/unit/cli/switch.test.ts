import { strict as assert } from "node:assert";
import { appendRelease } from "../../../src/ledger";
import { digest, PROD, project, slipway, type Project } from "./harness";

/** prod with web as a blue/green: the stack pins `pinned`, every user gets `live`. */
function blueGreen(pinned: string, live: string | undefined): string {
  return PROD.replace(
    `digest: ${digest(1)}\n        tag: sha-0000001\n`,
    `digest: ${pinned}\n`,
  ).replace(
    "          tls: true\n",
    "          tls: true\n      rollbackWindowSeconds: 0\n      rollout:\n        strategy: blueGreen\n        preview:\n          host: preview.example.com\n" +
      (live === undefined ? "" : `        live: ${live}\n`),
  );
}

describe("slipway switch: a blue/green service's users move to its preview release", () => {
  let p: Project;
  let d1: string;
  let d2: string;

  beforeEach(async () => {
    p = await project({ "Pulumi.prod.yaml": PROD });
    d1 = p.registry.pushIndex("acme/web", ["linux/amd64"], { content: "web 1" });
    d2 = p.registry.pushIndex("acme/web", ["linux/amd64"], { content: "web 2" });
    p.registry.pushIndex("acme/edge", ["linux/amd64"], { content: "edge" });
    let text: string | undefined;
    for (const [d, at] of [
      [d1, "2025-02-01T10:00:00Z"],
      [d2, "2025-02-08T10:00:00Z"],
    ] as const) {
      text = appendRelease(text, "prod", {
        at,
        kind: "promote",
        by: "slipway promote --from dev --to prod",
        user: "bob",
        source: "dev",
        images: {
          web: { ref: `${p.registry.server}/acme/web@${d}`, digest: d },
          edge: { ref: `${p.registry.server}/acme/edge@${digest(2)}`, digest: digest(2) },
        },
        update: { result: "succeeded", version: 10, seconds: 30 },
      }).text;
    }
    p.write("stacks/releases/prod.yaml", text!);
  });
  afterEach(async () => p.close());

  it("sets rollout.live to the digest the stack pins and runs the update; nothing else changes", async () => {
    p.write("Pulumi.prod.yaml", blueGreen(d2, d1));
    const before = p.read("Pulumi.prod.yaml");
    const result = await slipway(p, ["switch", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stderr);
    const after = before.replace(`live: ${d1}`, `live: ${d2}`);
    assert.equal(p.read("Pulumi.prod.yaml"), after);
    assert.deepEqual(
      p.driver.ups.map((up) => up.stackFile),
      [after],
    );
    assert.equal(
      result.stdout.trim(),
      `switched every user of prod to the preview release:\n  web: ${d1} -> ${d2}`,
    );
    assert.match(
      result.stderr,
      new RegExp(`set web's live release to ${d2} in Pulumi.prod.yaml \\(blue/green\\)`),
    );
  });

  it("says there is nothing to switch when every user gets what the stack pins, and runs no update", async () => {
    p.write("Pulumi.prod.yaml", blueGreen(d2, d2));
    const result = await slipway(p, ["switch", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout.trim(),
      "prod: nothing to switch; every user gets what the stack pins",
    );
    assert.deepEqual(p.driver.ups, []);
  });

  it("--abort pins the live digest again (a rollback to it): the preview release goes, users never move", async () => {
    p.write("Pulumi.prod.yaml", blueGreen(d2, d1));
    const result = await slipway(p, ["switch", "--stack", "prod", "--abort"]);
    assert.equal(result.code, 0, result.stderr);
    const file = p.read("Pulumi.prod.yaml");
    assert.match(file, new RegExp(`do not edit by hand.\\n        digest: ${d1}\\n`));
    assert.match(file, new RegExp(`live: ${d1}\\n`));
    assert.equal(p.driver.ups.length, 1);
  });

  it("a rollback of a blue/green service's image sets live to the restored digest, so users get it", async () => {
    p.write("Pulumi.prod.yaml", blueGreen(d2, d2));
    const result = await slipway(p, ["rollback", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stderr);
    const file = p.read("Pulumi.prod.yaml");
    assert.match(file, new RegExp(`do not edit by hand.\\n        digest: ${d1}\\n`));
    assert.match(file, new RegExp(`live: ${d1}\\n`));
  });

  it("refuses a service without a blue/green rollout, naming the setting", async () => {
    p.write("Pulumi.prod.yaml", PROD);
    const result = await slipway(p, ["switch", "--stack", "prod", "--service", "web"]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /service web of prod has no blue\/green rollout: each of its releases reaches every user at once/,
    );
    assert.deepEqual(p.driver.ups, []);
  });
});
