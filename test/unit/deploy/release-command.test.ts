/**
 * The release command script, run under sh against a fake docker on a state root in a temp
 * dir: which docker commands it really runs, what it records on the host, and what a failing
 * or hanging command says.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { releaseCommandScript, renderPayload } from "../../../src/deploy";
import { DIGEST_WEB, fakeDocker, REF_WEB, sh, tempDir, typicalDefinition } from "./fixtures";

const PAYLOAD = renderPayload({
  registryPassword: "registry-pw",
  secretEnv: { API_KEY: "api-key", DB_PASSWORD: "db-pw" },
});
const HEX = DIGEST_WEB.slice("sha256:".length);
const RUN = `web-release-${HEX.slice(0, 12)}`;

/**
 * docker as a host with the image and the network meets it: `wait` prints `$FAKE_EXIT`
 * (after `$FAKE_SLEEP` seconds), `logs` prints the command's output, one line holding a secret.
 */
const ANSWERS = [
  'case "$1" in',
  '  run) if [ -n "${FAKE_RUN_FAILS:-}" ]; then echo \'docker: Error response from daemon: exec: "./migrate": not found\' >&2; exit 127; fi ;;',
  '  wait) sleep "${FAKE_SLEEP:-0}"; echo "${FAKE_EXIT:-0}" ;;',
  "  logs) printf 'adding column email\\nconnecting with db-pw\\nERROR: relation users is locked\\n' ;;",
  "esac",
].join("\n");

describe("deploy/release-command-script", () => {
  let temp: ReturnType<typeof tempDir>;
  let root: string;
  beforeEach(() => {
    temp = tempDir();
    root = path.join(temp.dir, "root");
  });
  afterEach(() => temp.remove());

  async function run(env: Record<string, string> = {}, timeoutSeconds = 30) {
    const docker = fakeDocker(path.join(temp.dir, "fake"), ANSWERS);
    const before = docker.calls().length;
    const script = releaseCommandScript({
      def: typicalDefinition({ stateRoot: root }),
      release: { command: ["./migrate", "--to", "latest"], timeoutSeconds },
    });
    const result = await sh(script, { stdin: PAYLOAD, env: { ...docker.env, ...env } });
    return { ...result, calls: docker.calls().slice(before) };
  }

  const runCall = [
    "run",
    "--detach",
    "--name",
    RUN,
    "--init",
    "--entrypoint",
    "./migrate",
    "--network",
    "slipway-dev",
    "--label",
    "slipway.service=web",
    "--label",
    "slipway.stack=dev",
    "--label",
    "slipway.role=release-command",
    "--label",
    "slipway.image=web",
    "--label",
    `slipway.digest=${DIGEST_WEB}`,
    "--env",
    "GREETING=hello world",
    "--env",
    "LOG_LEVEL=debug",
    "--env-file",
    // The private temp dir's name is random: checked below.
    "<tmp>/secret.env",
    REF_WEB,
    "--to",
    "latest",
  ];

  function normalised(calls: string[][]): string[][] {
    return calls.map((call) =>
      call.map((arg) => arg.replace(/^.*\/tmp\.[A-Za-z0-9]+\/secret\.env$/, "<tmp>/secret.env")),
    );
  }

  it("runs the command once in a one-off container of the new image, records the digest, and skips it the next time", async () => {
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(normalised(first.calls), [
      ["version", "--format", "{{.Server.Version}}"],
      ["image", "inspect", REF_WEB],
      ["network", "inspect", "slipway-dev"],
      ["rm", "--force", RUN],
      runCall,
      ["wait", RUN],
      ["logs", "--tail", "20", RUN],
      ["rm", "--force", RUN],
    ]);
    // The seconds it took are the host clock's: 0 unless a busy machine crossed a second or two.
    assert.match(first.stdout, /succeeded in [0-9]+ s;/);
    assert.equal(
      first.stdout.replace(/succeeded in [0-9]+ s;/, "succeeded in 0 s;"),
      `slipway: host web-1: release ${REF_WEB} is on the host, no pull\n` +
        "slipway: host web-1: running the release command of web: ./migrate --to latest\n" +
        `slipway: host web-1: the release command of ${DIGEST_WEB} succeeded in 0 s; its last line: ERROR: relation users is locked\n`,
    );
    const marker = fs.readFileSync(path.join(root, "web", "release-commands", HEX), "utf8");
    assert.match(marker, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ ${REF_WEB}\\n$`));

    const again = await run();
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(again.calls, [["version", "--format", "{{.Server.Version}}"]]);
    assert.equal(
      again.stdout,
      `slipway: host web-1: the release command of ${DIGEST_WEB} succeeded on this host before (${marker.trim()}); not run again\n`,
    );
  });

  it("fails with the command's last lines, a secret's line left out, when it exits non-zero; nothing is recorded", async () => {
    const result = await run({ FAKE_EXIT: "3" });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      "last 20 lines of the release command:\n" +
        "  | adding column email\n" +
        "  | ERROR: relation users is locked\n" +
        `slipway: host web-1: the release command of ${DIGEST_WEB} exited with code 3 after 0 s; nothing switched on any host\n`,
    );
    assert.deepEqual(result.calls.at(-1), ["rm", "--force", RUN]);
    assert.equal(fs.existsSync(path.join(root, "web", "release-commands", HEX)), false);
  });

  it("fails naming docker's error when the container cannot start, and removes it", async () => {
    const result = await run({ FAKE_RUN_FAILS: "1" });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'slipway: host web-1: cannot start the release command: docker: Error response from daemon: exec: "./migrate": not found; nothing switched on any host\n',
    );
    assert.deepEqual(normalised(result.calls.slice(-2)), [runCall, ["rm", "--force", RUN]]);
  });

  it("removes a command that runs past timeoutSeconds and fails saying so", async () => {
    const result = await run({ FAKE_SLEEP: "5" }, 1);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr.split("\n").at(-2),
      `slipway: host web-1: the release command of ${DIGEST_WEB} did not finish within 1 s (timeoutSeconds) and was removed; nothing switched on any host`,
    );
    assert.deepEqual(result.calls.at(-1), ["rm", "--force", RUN]);
    assert.equal(fs.existsSync(path.join(root, "web", "release-commands", HEX)), false);
  });

  it("runs nothing for a digest a release of the stack ran (the ledger's record), such as a rollback's", () => {
    const script = releaseCommandScript({
      def: typicalDefinition(),
      release: { command: ["./migrate"], timeoutSeconds: 300 },
      ranIn: 4,
    });
    assert.equal(
      script.split("\n").slice(-2).join("\n"),
      `say 'release command of web: ${DIGEST_WEB} is in release #4 of stack dev, which ran it then; not run again'\n`,
    );
    assert.ok(!script.includes("docker"));
  });
});
