import { strict as assert } from "node:assert";
import { appendRelease, type NewRelease } from "../../../src/ledger";
import { DEV, digest, PROD, project, slipway, type Project } from "./harness";
import { healthy, ran } from "./probe-fixtures";

const HEADER =
  "# Rejected digests: no stack whose ledger is in this folder deploys them (slipway promote,\n" +
  "# slipway rollback and the program itself refuse them). Written by `slipway reject`\n" +
  "# and `slipway reject --undo`; reviewed in git; do not edit by hand.\n";

describe("slipway reject", () => {
  let p: Project;
  let good: string;
  let bad: string;

  function promoted(web: string, at: string): NewRelease {
    const server = p.registry.server;
    return {
      at,
      kind: "promote",
      by: "slipway promote --from dev --to prod",
      user: "bob",
      source: "dev",
      images: {
        web: { ref: `${server}/acme/web@${web}`, digest: web },
        edge: { ref: `${server}/acme/edge@${digest(2)}`, digest: digest(2) },
      },
      update: { result: "succeeded", version: 10 },
    };
  }

  beforeEach(async () => {
    p = await project({ "Pulumi.dev.yaml": DEV, "Pulumi.prod.yaml": PROD });
    good = p.registry.pushIndex("acme/web", ["linux/amd64", "linux/arm64"], { content: "good" });
    bad = p.registry.pushIndex("acme/web", ["linux/amd64", "linux/arm64"], { content: "bad" });
    p.registry.pushIndex("acme/edge", ["linux/amd64"], { content: "edge" });
    let text = appendRelease(undefined, "prod", promoted(good, "2025-02-01T10:00:00Z")).text;
    text = appendRelease(text, "prod", promoted(bad, "2025-02-08T10:00:00Z")).text;
    p.write("stacks/releases/prod.yaml", text);
    p.write("Pulumi.prod.yaml", p.read("Pulumi.prod.yaml").replace(digest(1), bad));
  });
  afterEach(async () => p.close());

  it("records who rejected a digest, when and why, and lists the stacks that still pin it", async () => {
    const result = await slipway(p, [
      "reject",
      bad.slice(7, 19),
      "--reason",
      "corrupts uploads (#412)",
    ]);
    assert.deepEqual(result, {
      code: 0,
      stderr: "",
      stdout:
        `rejected ${bad}: corrupts uploads (#412)\n` +
        "No stack deploys it from now on (promote, rollback and pulumi up refuse it). Recorded in stacks/releases/rejected-digests.yaml: commit it.\n" +
        "Still pinned in Pulumi.prod.yaml (web); move away from it:\n" +
        "  slipway rollback --stack prod\n",
    });
    assert.equal(
      p.read("stacks/releases/rejected-digests.yaml"),
      `${HEADER}events:\n` +
        `  - action: reject\n    digest: ${bad}\n    at: 2025-03-01T10:00:00Z\n    user: alice\n    reason: corrupts uploads (#412)\n`,
    );

    // Twice is refused, naming the first; --undo lifts it, also recorded.
    const again = await slipway(p, ["reject", bad, "--reason", "again"]);
    assert.equal(again.code, 3);
    assert.equal(
      again.stderr,
      `slipway: already rejected: ${bad} was rejected by alice at 2025-03-01T10:00:00Z: corrupts uploads (#412)\n` +
        `next:\n  slipway reject ${bad} --undo --reason "<why it is safe again>"\n`,
    );
    const undo = await slipway(p, [
      "reject",
      bad.slice(7, 15),
      "--undo",
      "--reason",
      "fixed by 0042",
    ]);
    assert.deepEqual(undo, {
      code: 0,
      stderr: "",
      stdout: `lifted the rejection of ${bad} (fixed by 0042); it may be deployed again. Recorded in stacks/releases/rejected-digests.yaml: commit it.\n`,
    });
    assert.match(
      p.read("stacks/releases/rejected-digests.yaml"),
      new RegExp(
        `  - action: undo\\n    digest: ${bad}\\n    at: 2025-03-01T10:00:00Z\\n    user: alice\\n    reason: fixed by 0042\\n$`,
      ),
    );
    const undoAgain = await slipway(p, ["reject", bad, "--undo", "--reason", "x"]);
    assert.equal(undoAgain.code, 3);
    assert.equal(undoAgain.stderr, `slipway: ${bad} is not rejected; nothing to undo\n`);
  });

  it("refuses an unknown prefix, an ambiguous one (naming the candidates) and an empty reason", async () => {
    const unknown = await slipway(p, ["reject", "ffff", "--reason", "x"]);
    assert.equal(unknown.code, 3);
    assert.equal(
      unknown.stderr,
      "slipway: no digest in a Pulumi.<stack>.yaml pin or a ledger under stacks/releases/ starts with sha256:ffff; give the whole digest\n",
    );
    // digest(2) (the edge) and digest(3) (a third release of web) share their first 62 digits.
    const third = promoted(digest(3), "2025-02-15T10:00:00Z");
    p.write(
      "stacks/releases/prod.yaml",
      appendRelease(p.read("stacks/releases/prod.yaml"), "prod", third).text,
    );
    const ambiguous = await slipway(p, ["reject", "0000", "--reason", "x"]);
    assert.equal(ambiguous.code, 3);
    assert.equal(
      ambiguous.stderr,
      "slipway: sha256:0000 is ambiguous: 2 digests in a Pulumi.<stack>.yaml pin or a ledger under stacks/releases/ start with it:\n" +
        `  ${digest(2)} (pinned in Pulumi.prod.yaml (edge); ledger of prod #1 (edge); ledger of prod #2 (edge); ledger of prod #3 (edge))\n` +
        `  ${digest(3)} (ledger of prod #3 (web))\n` +
        "give more digits\n",
    );
    const empty = await slipway(p, ["reject", bad, "--reason", " "]);
    assert.equal(empty.code, 2);
    const usage = await slipway(p, ["reject", bad]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /required option '--reason <text>' not specified/);
    assert.equal(p.exists("stacks/releases/rejected-digests.yaml"), false);
  });

  it("promote, rollback and status refuse or flag a rejected digest, naming who, when and why", async () => {
    await slipway(p, ["reject", bad, "--reason", "corrupts uploads"]);
    const who = `${bad} was rejected by alice at 2025-03-01T10:00:00Z: corrupts uploads`;

    // rollback to the release that ran it (#2, while prod now pins #1's digest).
    p.write("Pulumi.prod.yaml", p.read("Pulumi.prod.yaml").replace(bad, good));
    const rollback = await slipway(p, ["rollback", "--stack", "prod", "--release", "2"]);
    assert.equal(rollback.code, 3);
    assert.equal(
      rollback.stderr,
      `slipway: refused: image web: ${who}\n` +
        "next:\n  slipway history --stack prod  # pick a release without it: slipway rollback --stack prod --release <n>\n" +
        `  slipway reject ${bad} --undo --reason "<why it is safe again>"\n`,
    );

    // promote from dev, which exports it.
    p.driver.lastUpdates.dev = { result: "succeeded", version: 7 };
    p.driver.stackOutputs.dev = {
      images: {
        web: {
          repository: `${p.registry.server}/acme/web`,
          digest: bad,
          ref: `${p.registry.server}/acme/web@${bad}`,
          tags: [],
          platforms: ["linux/amd64", "linux/arm64"],
        },
      },
    };
    const promote = await slipway(p, ["promote", "--from", "dev", "--to", "prod"]);
    assert.equal(promote.code, 3);
    assert.equal(
      promote.stderr,
      `slipway: refused: image web: ${who}\n` +
        "next:\n  pulumi up --stack dev  # deploy a release without the rejected digest first\n" +
        `  slipway reject ${bad} --undo --reason "<why it is safe again>"\n`,
    );
    assert.equal(p.driver.ups.length, 0);
    assert.match(p.read("Pulumi.prod.yaml"), new RegExp(`digest: ${good}`));

    // status: a host that still runs it is flagged, and the command exits 5.
    p.hosts.answers["web-1"] = ran(healthy(good));
    p.hosts.answers["web-2"] = ran(healthy(bad));
    const status = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(status.code, 5);
    const lines = status.stdout.split("\n");
    assert.match(lines[5]!, new RegExp(`^web +web-2 +DRIFT .*REJECTED: ${who}; runs `));
    assert.deepEqual(lines.slice(-3), [
      "web on web-2 runs a rejected digest (slipway reject); next: slipway rollback --stack prod  # to a release without it",
      "web on web-2 differs from what prod pins; next: slipway repair --stack prod  # re-runs the pinned release there",
      "",
    ]);
    const json = JSON.parse((await slipway(p, ["status", "--stack", "prod", "--json"])).stdout) as {
      services: { hosts: { host: string; rejected?: boolean }[] }[];
    };
    assert.deepEqual(
      json.services[0]!.hosts.map((host) => [host.host, host.rejected ?? false]),
      [
        ["web-1", false],
        ["web-2", true],
      ],
    );
  });
});
