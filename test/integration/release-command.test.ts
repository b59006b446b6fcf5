/**
 * Release commands against the local sshd, Docker engine and registry, run exactly as the
 * resources run them (BOOTSTRAP_COMMAND over SSH, script and payload on stdin), behind the
 * test's own edge (it-edge): a failing command under load leaves the host on release A with
 * every request answered; a succeeding one runs once, in the new image with the service's
 * secret env on the stack network, before the deploy switches to B, and never again for B.
 */
import { strict as assert } from "node:assert";
import { deployScript, edgeScript, releaseCommandScript } from "../../src/deploy";
import { runOk, sshExec, useServices } from "../helpers/services";
import {
  itEdge,
  loadReport,
  localDefinition,
  payloadFor,
  removeEdge,
  removeService,
  request,
  runScript,
  sharedReleases,
  underLoad,
  type ReleaseSet,
  type ScriptRun,
} from "./deploy-fixture";

const SERVICE = "it-rc";
const HOST = "it-rc.localhost";
const PORT = 29080;
const SECRET_ENV = { DB_PASSWORD: "rc-secret-value" };
const BUSYBOX_SH = ["/bin/busybox", "sh", "-c"];

function output(run: ScriptRun): string {
  return `${run.stdout}\n${run.stderr}`;
}

describe("release commands over SSH (real sshd, Docker engine and registry)", function () {
  this.timeout(600_000);
  useServices(["docker", "registry", "sshd"]);

  let releases: ReleaseSet;
  const definition = (release: "a" | "b") =>
    localDefinition(SERVICE, releases[release], { secretEnvNames: Object.keys(SECRET_ENV) });
  const payload = payloadFor(SECRET_ENV);
  const served = async () => {
    const answer = await request(PORT, "/cgi-bin/version", { host: HOST });
    return answer.status === 200 ? answer.body.trim() : `HTTP ${answer.status}`;
  };
  const markers = async () =>
    (await sshExec(`ls /var/lib/slipway/${SERVICE}/release-commands 2>/dev/null || true`)).stdout
      .split("\n")
      .filter(Boolean);

  before(async function () {
    releases = await sharedReleases();
    await removeService(SERVICE);
    const edge = await runScript(edgeScript(itEdge(releases.edge.ref)));
    assert.equal(edge.code, 0, output(edge));
    const a = await runScript(deployScript(definition("a")), payload);
    assert.equal(a.code, 0, output(a));
    assert.equal(await served(), releases.a.version);
  });

  after(async function () {
    await removeService(SERVICE);
    if (releases !== undefined) {
      await removeEdge(itEdge(releases.edge.ref));
    }
  });

  it("a failing command under load fails with its last lines (a secret's line left out), and the host keeps serving A", async () => {
    // One output stream: docker logs interleaves stdout and stderr in no fixed order.
    const failing = releaseCommandScript({
      def: definition("b"),
      release: {
        command: [
          ...BUSYBOX_SH,
          'echo "adding column email"; echo "password is $DB_PASSWORD"; echo "ERROR: column exists"; exit 3',
        ],
        timeoutSeconds: 60,
      },
    });
    const {
      result: run,
      keepAlive,
      fresh,
    } = await underLoad(PORT, HOST, () => runScript(failing, payload), 4);
    assert.equal(run.code, 1, output(run));
    const digest = releases.b.digest;
    assert.equal(
      run.stderr,
      "last 20 lines of the release command:\n" +
        "  | adding column email\n" +
        "  | ERROR: column exists\n" +
        `slipway: host local: the release command of ${digest} exited with code 3 after ${/after (\d+) s/.exec(run.stderr)?.[1]} s; nothing switched on any host\n`,
    );
    assert.ok(!output(run).includes(SECRET_ENV.DB_PASSWORD));
    assert.equal(keepAlive.failures + fresh.failures, 0, loadReport([keepAlive, fresh]));
    assert.ok(keepAlive.requests + fresh.requests > 0);
    assert.equal(await served(), releases.a.version);
    assert.deepEqual(await markers(), []);
    const left = await runOk("docker", [
      "ps",
      "--all",
      "--quiet",
      "--filter",
      "label=slipway.role=release-command",
      "--filter",
      `label=slipway.service=${SERVICE}`,
    ]);
    assert.equal(left.stdout.trim(), "", "the one-off container is removed");
  });

  it("a succeeding command runs once in B with the secret env, before the switch; the next run of B skips it", async () => {
    const migrate = releaseCommandScript({
      def: definition("b"),
      release: {
        command: [...BUSYBOX_SH, 'test -n "$DB_PASSWORD" && echo "migrated to $APP_RELEASE"'],
        timeoutSeconds: 60,
      },
    });
    const first = await runScript(migrate, payload);
    assert.equal(first.code, 0, output(first));
    assert.match(
      first.stdout,
      new RegExp(
        `: the release command of ${releases.b.digest} succeeded in \\d+ s; its last line: migrated to ${releases.b.version}\\n$`,
      ),
    );
    // Still A: the command ran before the switch, which is the deploy's (it waits for it).
    assert.equal(await served(), releases.a.version);
    assert.deepEqual(await markers(), [releases.b.digest.slice("sha256:".length)]);

    const deploy = await runScript(deployScript(definition("b")), payload);
    assert.equal(deploy.code, 0, output(deploy));
    assert.equal(await served(), releases.b.version);

    const again = await runScript(migrate, payload);
    assert.equal(again.code, 0, output(again));
    assert.match(
      again.stdout,
      new RegExp(
        `: the release command of ${releases.b.digest} succeeded on this host before \\(.*\\); not run again\\n$`,
      ),
    );
  });
});
