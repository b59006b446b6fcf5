import { strict as assert } from "node:assert";
import { DriverError } from "../../../src/cli";
import { DEV, digest, PROD, project, slipway, type Project } from "./harness";
import { healthy, ran } from "./probe-fixtures";

describe("slipway repair", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "Pulumi.dev.yaml": DEV, "Pulumi.prod.yaml": PROD });
  });
  afterEach(async () => p.close());

  const stopped = ran(healthy(digest(1), [], { container: `exited ${digest(1)} prod` }));

  it("replaces only the drifting hosts' release commands, in one update", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = [stopped, ran(healthy(digest(1)))];
    const result = await slipway(p, ["repair", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "repaired web on web-2: every host of prod runs what it pins\n");
    assert.deepEqual(
      p.driver.ups.map((up) => [up.stack, up.replace]),
      [
        [
          "prod",
          [
            "urn:pulumi:prod::slipway::slipway:deploy:HostDeployment$command:remote:Command::web-web-2-release",
          ],
        ],
      ],
    );
    assert.equal(
      result.stderr,
      "repairing web on web-2 (release container web-1-release is exited)\nUpdating (prod)\nResources: 4 unchanged\n",
    );
  });

  it("changes nothing when every host runs what the stack pins", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = ran(healthy(digest(1)));
    const result = await slipway(p, ["repair", "--stack", "prod"]);
    assert.deepEqual(result, {
      code: 0,
      stderr: "",
      stdout: "every host of prod runs what it pins; nothing to repair\n",
    });
    assert.deepEqual(p.driver.ups, []);
  });

  it("says what still differs after the update, and exits 5", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = stopped;
    const result = await slipway(p, ["repair", "--stack", "prod"]);
    assert.equal(result.code, 5);
    assert.equal(
      result.stdout,
      "still differing after the repair: web on web-2 (release container web-1-release is exited)\n",
    );
  });
});

describe("slipway repair: faults (issue 26)", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "Pulumi.dev.yaml": DEV, "Pulumi.prod.yaml": PROD });
  });
  afterEach(async () => p.close());

  const stopped = ran(healthy(digest(1), [], { container: `exited ${digest(1)} prod` }));

  it("exits 4 as slipway up does when its update fails, quoting the host's cause", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = stopped;
    const hostLine = `slipway: host web-2: release ${digest(1)} did not become healthy within 30 s, removed it, nothing was serving before; last health response: no answer (empty response)`;
    p.driver.upError = new DriverError(
      "failed",
      "pulumi could not update prod: error: update failed",
      `Updating (prod)\n  command:remote:Command web-web-2-release creating (3s) error: ${hostLine}\nerror: update failed\n`,
    );
    const result = await slipway(p, ["repair", "--stack", "prod"]);
    assert.equal(result.code, 4);
    assert.ok(
      result.stderr.endsWith(
        `slipway: the update of prod failed: ${hostLine}\ncause:\n  ${hostLine}\n` +
          `Pulumi.prod.yaml keeps its pins; the ledger records ${digest(1)} as failed on prod (promote refuses it unless --force)\n` +
          "next:\n  slipway repair --stack prod  # once the cause is fixed\n",
      ),
      result.stderr,
    );
  });

  it("exits 4 on a locked stack, as slipway up and promote do, naming the way out", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = stopped;
    const locked =
      "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.";
    p.driver.upError = new DriverError("locked", "prod is locked", `${locked}\n`);
    const result = await slipway(p, ["repair", "--stack", "prod"]);
    assert.equal(result.code, 4);
    assert.ok(
      result.stderr.endsWith(
        `slipway: prod is locked: ${locked}\ncause:\n  ${locked}\n` +
          "Pulumi.prod.yaml keeps its pins; the ledger is unchanged\n" +
          "next:\n" +
          "  pulumi cancel --stack prod --yes  # only if no update of prod is running (removes the lock)\n" +
          "  slipway repair --stack prod\n",
      ),
      result.stderr,
    );
  });

  it("starts a dead edge again: replaces the edge's command of that host first", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = [
      ran(healthy(digest(1), [], { edge: "exited", health: "fail wget: bad address" })),
      ran(healthy(digest(1))),
    ];
    const result = await slipway(p, ["repair", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      "repaired the edge slipway-edge on web-2, web on web-2: every host of prod runs what it pins\n",
    );
    assert.deepEqual(p.driver.ups[0]!.replace, [
      "urn:pulumi:prod::slipway::slipway:edge:EdgeProxy$command:remote:Command::slipway-edge-web-2-edge",
      "urn:pulumi:prod::slipway::slipway:deploy:HostDeployment$command:remote:Command::web-web-2-release",
    ]);
  });

  it("refuses (3) a dead edge that another stack manages, naming who starts it", async () => {
    p.write("Pulumi.prod.yaml", PROD.replace("  slipway:edge:\n    image: edge\n", ""));
    p.hosts.answers["web-1"] = ran(healthy(digest(1), [], { edge: "exited", health: "fail" }));
    p.hosts.answers["web-2"] = ran(healthy(digest(1)));
    const result = await slipway(p, ["repair", "--stack", "prod"]);
    assert.equal(result.code, 3);
    assert.equal(
      result.stderr,
      "slipway: the edge slipway-edge on web-1 is exited, and prod does not manage it (no slipway:edge.image): every route through it is down; nothing was changed\n" +
        "next:\n" +
        "  slipway repair --stack <the stack that sets slipway:edge.image>  # starts the edge again\n" +
        "  slipway repair --stack prod  # then, for what else differs\n",
    );
    assert.deepEqual(p.driver.ups, []);
  });
});
