/**
 * `scripts/services.sh up` and a daemon that is slow to answer its probe (issue 26): on a busy
 * machine `up buildkitd` once found the running buildkitd slow, deleted its socket and started
 * a second one, which died on the first one's lock; every later build failed. Here a stand-in
 * buildkitd and buildctl (test/fixtures/slow-buildkitd: a real unix socket and the real lock
 * rule, a probe that is slow or hangs on demand) run under a SLIPWAY_HOME of their own, so
 * nothing of the machine's services is touched.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, run, SERVICES_SH } from "../helpers/services";

const FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "slow-buildkitd");

/** Whether `pid` runs (a zombie, exited but not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

describe("services.sh up: a live daemon slow to answer is never replaced behind its back", function () {
  this.timeout(120_000);
  let home = "";
  let fake = "";
  let sock = "";
  const env = (deadline: number): NodeJS.ProcessEnv => ({
    ...process.env,
    SLIPWAY_HOME: home,
    FAKE: fake,
    SLIPWAY_PROBE_DEADLINE: String(deadline),
    PATH: `${path.join(home, "fakebin")}:${process.env.PATH ?? ""}`,
  });
  /** `up buildkitd`'s line, with each duration written as `N s`. */
  const up = async (deadline: number) => {
    const result = await run(SERVICES_SH, ["up", "buildkitd"], { env: env(deadline) });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    return result.stdout.trim().replace(/\d+\.\d s\b/g, "N s");
  };
  const started = () =>
    fs.readFileSync(path.join(fake, "started"), "utf8").trim().split("\n").map(Number);
  const pidFile = () =>
    Number(fs.readFileSync(path.join(home, "state", "run", "buildkitd.pid"), "utf8"));
  const log = () => fs.readFileSync(path.join(home, "state", "logs", "buildkitd.log"), "utf8");

  before(async function () {
    assert.equal(process.getuid?.(), 0, "services.sh up runs as root (as scripts/test.sh does)");
    home = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-slow-probe-"));
    fake = path.join(home, "fake");
    sock = path.join(home, "state", "buildkit", "buildkitd.sock");
    fs.mkdirSync(fake);
    fs.mkdirSync(path.join(home, "bin"));
    fs.mkdirSync(path.join(home, "fakebin"));
    for (const tool of ["buildkitd", "buildctl"]) {
      fs.copyFileSync(path.join(FIXTURE, tool), path.join(home, "bin", tool));
    }
    fs.copyFileSync(path.join(FIXTURE, "docker"), path.join(home, "fakebin", "docker"));
    assert.equal(
      await up(10),
      `buildkitd: started (N s, unix://${sock}, builder slipway, platforms linux/amd64)`,
    );
  });

  after(async () => {
    await run(SERVICES_SH, ["down", "buildkitd"], { env: env(1) });
    for (const pid of fs.existsSync(path.join(fake, "started")) ? started() : []) {
      if (alive(pid)) {
        process.kill(pid, "SIGKILL");
      }
    }
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("retries a slow probe until it answers and keeps the running daemon, its socket and pid", async () => {
    const [first] = started();
    // Three probes fail after a second each, then it answers: slow, not dead.
    fs.writeFileSync(path.join(fake, "slow"), "3");
    assert.equal(
      await up(10),
      `buildkitd: already running (answered after N s, builder slipway -> unix://${sock})`,
    );
    assert.deepEqual(started(), [first]);
    assert.equal(pidFile(), first);
    assert.ok(alive(first!));
    assert.ok(fs.statSync(sock).isSocket());
    assert.doesNotMatch(log(), /another instance running/);
  });

  it("stops a daemon that never answers by its pid, then starts anew, and says so", async () => {
    const [first] = started();
    fs.writeFileSync(path.join(fake, "hang"), String(first));
    assert.equal(
      await up(2),
      `buildkitd: started (replaced: buildkitd pid ${first} did not answer within 2 s; stopped it by its pid; N s, unix://${sock}, builder slipway, platforms linux/amd64)`,
    );
    const [, second, ...more] = started();
    assert.deepEqual(more, []);
    assert.equal(pidFile(), second);
    assert.ok(!alive(first!), `the old buildkitd ${first} still runs`);
    assert.ok(alive(second!));
    assert.doesNotMatch(log(), /another instance running/);
    assert.equal(await up(2), `buildkitd: already running (builder slipway -> unix://${sock})`);
  });

  it("clears a socket file nobody listens on (a buildkitd that died) and starts", async () => {
    const [, second] = started();
    process.kill(second!, "SIGKILL");
    while (alive(second!)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(fs.statSync(sock).isSocket(), "the dead daemon's socket file stays behind");
    assert.equal(
      await up(2),
      `buildkitd: started (N s, unix://${sock}, builder slipway, platforms linux/amd64)`,
    );
    assert.equal(started().length, 3);
  });
});
