/**
 * The SSH sessions `slipway rollback` opens as it starts (src/cli/early-sessions): which hosts
 * the stack file's hint gives, and, with an `ssh` on PATH that runs its remote command under
 * sh here (it logs every start), that the first script the CLI runs on a host goes down the
 * session opened before, and only when the validated host is reached the same way.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { HostConfig } from "../../../src/config";
import {
  closeEarlySessions,
  connectionKey,
  hostHints,
  openEarlySessions,
  opensSessions,
  remoteReader,
} from "../../../src/cli/early-sessions";
import { SystemHostReader } from "../../../src/cli/host-release";

/** The remote command as the fake ssh logs it, its random end line made fixed. */
const REMOTE_READER = remoteReader("#slipway-end-X");

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPh1Y2tvZmZ0aGlzaXNhdGVzdGtleXRoYXRpc2Zha2U";

describe("cli/early-sessions: SSH sessions opened as a rollback starts", () => {
  it("opens for a rollback that switches hosts, not for --no-up, --unpin, --help or other commands", () => {
    assert.equal(opensSessions(["rollback", "--stack", "prod"]), true);
    assert.equal(opensSessions(["--root", "rollback", "rollback", "--stack", "prod"]), true);
    assert.equal(opensSessions(["--root", "rollback", "promote", "--to", "prod"]), false);
    for (const flag of ["--no-up", "--unpin", "--help", "-h"]) {
      assert.equal(opensSessions(["rollback", "--stack", "prod", flag]), false, flag);
    }
    assert.equal(opensSessions(["status", "--stack", "prod"]), false);
  });

  it("reads the SSH hosts of the stack file as a hint: defaults for port and user, none with a secret key, local transport or an ESC environment", () => {
    const file = (hosts: string, extra = "") =>
      `${extra}config:\n  slipway:role: promote\n  slipway:hosts:\n${hosts}`;
    assert.deepEqual(
      hostHints(
        file(
          [
            "    - name: a",
            "      address: 203.0.113.10",
            "      privateKeyFile: ~/.ssh/id_ed25519",
            "    - name: b",
            "      address: 203.0.113.11",
            "      port: 2222",
            "      user: deploy",
            "      privateKeyFile: /keys/b",
            `      hostKey: ${KEY}`,
            "      proxy:",
            "        address: bastion.example.com",
            "        privateKeyFile: /keys/bastion",
            "    - name: c",
            "      address: 203.0.113.12",
            "      privateKey:",
            "        secure: v1:abc",
            "    - name: d",
            "      transport: local",
            "    - name: e",
            "      address: 203.0.113.13",
            "      privateKeyFile: /keys/e",
            "      proxy:",
            "        address: bastion.example.com",
            "        privateKey:",
            "          secure: v1:def",
            "",
          ].join("\n"),
        ),
      ),
      [
        { address: "203.0.113.10", port: 22, user: "root", privateKeyFile: "~/.ssh/id_ed25519" },
        {
          address: "203.0.113.11",
          port: 2222,
          user: "deploy",
          privateKeyFile: "/keys/b",
          hostKey: KEY,
          proxy: {
            address: "bastion.example.com",
            port: 22,
            user: "root",
            privateKeyFile: "/keys/bastion",
          },
        },
      ],
    );
    const one = "    - name: a\n      address: 203.0.113.10\n      privateKeyFile: /k\n";
    assert.equal(hostHints(file(one)).length, 1);
    assert.deepEqual(hostHints(file(one, "environment:\n  - prod-env\n")), []);
    assert.deepEqual(hostHints(`${file(one)}  slipway:target: kubernetes\n`), []);
    assert.deepEqual(hostHints("config: {}\n"), []);
  });

  describe("with an ssh that runs its remote command here", () => {
    let dir: string;
    let log: string;
    let savedPath: string | undefined;
    const host: HostConfig = {
      name: "web-1",
      transport: "ssh",
      address: "203.0.113.10",
      port: 2222,
      user: "deploy",
      privateKeyFile: "/keys/web-1",
      hostKey: KEY,
      roles: [],
    };

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-early-"));
      log = path.join(dir, "ssh.log");
      fs.mkdirSync(path.join(dir, "bin"));
      // Logs each start (its destination and remote command), then runs that command here.
      fs.writeFileSync(
        path.join(dir, "bin", "ssh"),
        [
          "#!/bin/sh",
          "for last; do :; done",
          'while [ "$1" != -- ]; do shift; done',
          `printf '%s %s\\n' "$2" "$last" >> ${JSON.stringify(log)}`,
          'exec /bin/sh -c "$last"',
          "",
        ].join("\n"),
        { mode: 0o755 },
      );
      fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: app\nruntime: nodejs\n");
      fs.writeFileSync(
        path.join(dir, "Pulumi.prod.yaml"),
        [
          "config:",
          "  slipway:role: promote",
          "  slipway:hosts:",
          "    - name: web-1",
          "      address: 203.0.113.10",
          "      port: 2222",
          "      user: deploy",
          "      privateKeyFile: /keys/web-1",
          `      hostKey: ${KEY}`,
          "",
        ].join("\n"),
      );
      savedPath = process.env.PATH;
      process.env.PATH = `${path.join(dir, "bin")}:${savedPath ?? ""}`;
    });

    afterEach(() => {
      closeEarlySessions();
      process.env.PATH = savedPath;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const starts = () =>
      (fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "").replace(
        /#slipway-end-[0-9a-f]{16}/g,
        "#slipway-end-X",
      );

    it("starts ssh at once, and the first script for the host goes down that session", async () => {
      openEarlySessions(["rollback", "--stack", "prod"], dir);
      // The session waits for its script: started, nothing run yet.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(starts(), `deploy@203.0.113.10 ${REMOTE_READER}\n`);
      const reader = new SystemHostReader();
      // The session's script is read from stdin: its text is never an argument of a process
      // on the host (`ps` would show it), only the reader is.
      const first = await reader.run(host, 'ps -o args= -p "$$"\necho switched web-1-release\n');
      assert.equal(first.kind, "ran");
      assert.equal(
        first.kind === "ran" && first.stdout.replace(/#slipway-end-[0-9a-f]{16}/, "#slipway-end-X"),
        '/bin/sh -c eval "$(sed "/^#slipway-end-X\\$/q")"\nswitched web-1-release\n',
      );
      assert.equal(starts(), `deploy@203.0.113.10 ${REMOTE_READER}\n`);
      // The session is used once; the next script connects anew.
      assert.deepEqual(await reader.run(host, "echo again"), { kind: "ran", stdout: "again\n" });
      assert.equal(
        starts(),
        `deploy@203.0.113.10 ${REMOTE_READER}\ndeploy@203.0.113.10 echo again\n`,
      );
    });

    it("runs the script while the CLI's event loop is busy: it does not wait for stdin to close", async () => {
      openEarlySessions(["rollback", "--stack", "prod"], dir);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const ran = path.join(dir, "ran");
      const result = new SystemHostReader().run(host, `date +%s%N > ${ran}\necho done\n`);
      // What the rollback does next: load the Automation API, synchronously.
      const busyUntil = Date.now() + 1500;
      while (Date.now() < busyUntil && !fs.existsSync(ran)) {
        // busy
      }
      assert.ok(fs.existsSync(ran), "the host ran the script while the event loop was blocked");
      assert.deepEqual(await result, { kind: "ran", stdout: "done\n" });
    });

    it("is not used for a host the validated config reaches another way, and a failing script is reported as today", async () => {
      openEarlySessions(["rollback", "--stack", "prod"], dir);
      const reader = new SystemHostReader();
      const elsewhere = { ...host, port: 22 };
      assert.notEqual(connectionKey(elsewhere), connectionKey(host));
      assert.deepEqual(await reader.run(elsewhere, "echo fresh"), {
        kind: "ran",
        stdout: "fresh\n",
      });
      assert.deepEqual(await reader.run(host, "echo out; echo 'no docker here' >&2; exit 3"), {
        kind: "unreachable",
        message: "ssh deploy@203.0.113.10:2222 exited 3: no docker here",
      });
      assert.deepEqual(starts().split("\n"), [
        `deploy@203.0.113.10 ${REMOTE_READER}`,
        "deploy@203.0.113.10 echo fresh",
        "",
      ]);
    });

    it("opens nothing for a rollback with --no-up, and closes what goes unused", async () => {
      openEarlySessions(["rollback", "--stack", "prod", "--no-up"], dir);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(starts(), "");
      openEarlySessions(["rollback", "--stack", "prod"], dir);
      closeEarlySessions();
      // Closed: the next script for the host connects anew.
      const reader = new SystemHostReader();
      assert.deepEqual(await reader.run(host, "echo new"), { kind: "ran", stdout: "new\n" });
      for (let wait = 0; wait < 40 && !starts().includes(REMOTE_READER); wait += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(starts().split("\n").sort(), [
        "",
        "deploy@203.0.113.10 echo new",
        `deploy@203.0.113.10 ${REMOTE_READER}`,
      ]);
    });
  });
});
