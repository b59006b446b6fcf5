import { strict as assert } from "node:assert";
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
