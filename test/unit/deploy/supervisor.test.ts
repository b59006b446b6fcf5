import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  deployScript,
  edgeRemoveScript,
  stopScript,
  superviseLines,
  supervisorDir,
  supervisorScript,
  unsuperviseLines,
} from "../../../src/deploy";
import { shellLines } from "../../../src/deploy/script-files";
import { fakeDocker, lines, sh, tempDir, typicalDefinition } from "./fixtures";

const ROOT = "/var/lib/slipway";

describe("deploy/supervisor: the host's supervisor", () => {
  const text = supervisorScript(ROOT);

  it("lives in <root>/_supervisor, one per root, keeping its lock across a new text", () => {
    assert.equal(supervisorDir(ROOT), "/var/lib/slipway/_supervisor");
    assert.equal(supervisorDir("/srv/slipway/"), "/srv/slipway/_supervisor");
    assert.deepEqual(lines(text).slice(0, 14), [
      "#!/bin/sh",
      "# Slipway supervisor of the containers recorded under /var/lib/slipway (src/deploy/supervisor.ts).",
      "set -u",
      "umask 022",
      "trap '' HUP PIPE",
      "root=/var/lib/slipway",
      "dir=/var/lib/slipway/_supervisor",
      "tick=2",
      "events_kept=20",
      'self="$dir"/supervisor.sh',
      'exec 9>>"$dir"/lock',
      "flock -n 9 || exit 0",
      `printf '%s\\n' "$$" > "$dir"/pid`,
      'version=$(cksum < "$self")',
    ]);
    assert.ok(
      lines(text).includes(
        'if [ "$(cksum < "$self" 2>/dev/null)" != "$version" ]; then exec sh "$self"; fi',
      ),
    );
    assert.ok(lines(text).includes('while [ -f "$self" ]; do'));
    assert.ok(lines(text).includes('sleep "$tick"'));
  });

  it("starts a container again only under its directory's deploy lock, if the record still names it", () => {
    const body = lines(text);
    const at = (line: string) => {
      const index = body.indexOf(line);
      assert.ok(index >= 0, `missing ${line}`);
      return index;
    };
    const lock = at("flock -n 8 || exit 0");
    const named = at(
      'if [ "${1##*/}" != "$2" ] && ! cat "$1"/current "$1"/caddy 2>/dev/null | grep -qxF -- "$2"; then exit 0; fi',
    );
    const exited = at(
      `if [ "$(docker container inspect --format '{{.State.Status}}' "$name" 2>/dev/null)" != exited ]; then exit 0; fi`,
    );
    const start = at('if ! out=$(docker start "$name" 2>&1); then');
    assert.ok(lock < named && named < exited && exited < start);
    at('docker restart "$caddy" >/dev/null 2>&1 || true');
  });

  it("passes shellcheck as POSIX sh", () => {
    const temp = tempDir();
    try {
      const file = path.join(temp.dir, "supervisor.sh");
      fs.writeFileSync(file, text);
      execFileSync("shellcheck", ["-s", "sh", file]);
    } finally {
      temp.remove();
    }
  });

  it("is installed by a here-document and started in its own session with no inherited descriptor", () => {
    const install = superviseLines(ROOT);
    assert.equal(install[0], "supervisor=/var/lib/slipway/_supervisor");
    assert.ok(
      install.includes(
        `  elif ! (umask 022 && mkdir -p "$supervisor" && cat > "$supervisor"/supervisor.sh.new) 2>/dev/null; then`,
      ),
    );
    const heredoc = install.indexOf("supervise <<'SLIPWAY_SUPERVISOR_END'");
    assert.ok(heredoc > 0);
    assert.deepEqual(install.slice(heredoc + 1, -1), text.split("\n").slice(0, -1));
    assert.equal(install.at(-1), "SLIPWAY_SUPERVISOR_END");
    assert.ok(
      install.includes(
        '    (umask 022 && setsid sh "$supervisor"/supervisor.sh </dev/null >>"$supervisor"/log 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &)',
      ),
    );
    const deploy = deployScript(typicalDefinition());
    assert.ok(deploy.includes(`${install.join("\n")}\n`), "the deploy script installs it");
    assert.ok(
      deploy.indexOf("supervisor=/var/lib/slipway/_supervisor") <
        deploy.indexOf('exec 9>>"$state"/lock'),
      "before the deploy takes its lock (which must not be inherited)",
    );
  });

  it("is stopped by the removal scripts once nothing else is under the root", () => {
    const remove = unsuperviseLines(ROOT);
    assert.deepEqual(remove, [
      "supervisor=/var/lib/slipway/_supervisor",
      "supervisor_root=/var/lib/slipway",
      'if [ -d "$supervisor" ] && [ "$(ls -A "${supervisor%/*}")" = _supervisor ]; then',
      '  rm -f "$supervisor"/supervisor.sh',
      '  pid=$(cat "$supervisor"/pid 2>/dev/null || true)',
      '  if [ -n "$pid" ] && ! flock -n "$supervisor"/lock true 2>/dev/null; then kill "$pid" >/dev/null 2>&1 || true; fi',
      '  flock -w 10 "$supervisor"/lock true 2>/dev/null || true',
      '  rm -rf "$supervisor"',
      '  say "stopped the supervisor of $supervisor_root: nothing is left to supervise"',
      "fi",
    ]);
    const def = typicalDefinition();
    assert.ok(stopScript(def).endsWith(`${remove.join("\n")}\n`));
    assert.ok(
      edgeRemoveScript({ host: "h", stack: "dev", name: "slipway-edge", stateRoot: ROOT }).endsWith(
        `${remove.join("\n")}\n`,
      ),
    );
  });

  describe("run against a fake docker", () => {
    /** Runs the supervisor of `root` for about one tick; returns docker's calls and the events. */
    async function oneTick(root: string, answers: string, holdLock?: string, ms = 1200) {
      const docker = fakeDocker(root, answers);
      fs.mkdirSync(supervisorDir(root), { recursive: true });
      fs.writeFileSync(path.join(supervisorDir(root), "supervisor.sh"), supervisorScript(root));
      const holder =
        holdLock === undefined
          ? undefined
          : spawn("flock", [holdLock, "sleep", "5"], { stdio: "ignore" });
      if (holder !== undefined) await new Promise((resolve) => setTimeout(resolve, 200));
      const child = spawn("sh", [path.join(supervisorDir(root), "supervisor.sh")], {
        env: docker.env,
        stdio: "ignore",
      });
      await new Promise((resolve) => setTimeout(resolve, ms));
      child.kill("SIGKILL");
      holder?.kill("SIGKILL");
      return docker.calls().map((call) => call.join(" "));
    }

    const answers = [
      'case "$1 $2 $4" in',
      "  'container inspect {{.State.Status}}') echo exited ;;",
      "  'container inspect '*)",
      "    echo '/web-1 exited 0 137 2026-12-07T10:00:00.5Z'",
      "    echo '/slipway-edge running 0 0 0001-01-01T00:00:00Z'",
      "    echo '/slipway-edge-caddy-1 running 0 0 0001-01-01T00:00:00Z'",
      "    echo '/slipway-dev-postgres running 0 0 0001-01-01T00:00:00Z' ;;",
      "esac",
    ].join("\n");

    function records(root: string): void {
      fs.mkdirSync(path.join(root, "web"), { recursive: true });
      fs.writeFileSync(path.join(root, "web", "current"), "web-1\n");
      fs.mkdirSync(path.join(root, "_edge", "slipway-edge"), { recursive: true });
      fs.writeFileSync(path.join(root, "_edge", "slipway-edge", "caddy"), "slipway-edge-caddy-1\n");
      fs.mkdirSync(path.join(root, "_accessories", "slipway-dev-postgres"), { recursive: true });
    }

    /** Runs `check` on a temp root holding the records of a service, an accessory and an edge. */
    async function withRecords(check: (root: string) => Promise<void>): Promise<void> {
      const temp = tempDir();
      try {
        records(temp.dir);
        await check(temp.dir);
      } finally {
        temp.remove();
      }
    }

    it("asks Docker once for every recorded container, starts the one that exited, records it", async () => {
      await withRecords(async (root) => {
        const calls = await oneTick(root, answers);
        assert.deepEqual(calls, [
          "container inspect --format {{.Name}} {{.State.Status}} {{.RestartCount}} {{.State.ExitCode}} {{.State.FinishedAt}} web-1 slipway-dev-postgres slipway-edge slipway-edge-caddy-1",
          "container inspect --format {{.State.Status}} web-1",
          "start web-1",
        ]);
        const events = fs.readFileSync(path.join(root, "web", "events"), "utf8");
        assert.match(
          events,
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ web-1 exited with code 137 at 2026-12-07T10:00:00.5Z; the supervisor started it again\n$/,
        );
        assert.equal(
          fs.readFileSync(path.join(supervisorDir(root), "pid"), "utf8").trim() !== "",
          true,
        );
      });
    });

    it("leaves it to whoever holds its deploy lock (a deploy, a stop, an accessory restart)", async () => {
      await withRecords(async (root) => {
        const calls = await oneTick(root, answers, path.join(root, "web", "lock"));
        assert.deepEqual(calls, [
          "container inspect --format {{.Name}} {{.State.Status}} {{.RestartCount}} {{.State.ExitCode}} {{.State.FinishedAt}} web-1 slipway-dev-postgres slipway-edge slipway-edge-caddy-1",
        ]);
        assert.equal(fs.existsSync(path.join(root, "web", "events")), false);
      });
    });

    it("records a restart by Docker's restart policy (the restart count went up between two looks)", async () => {
      await withRecords(async (root) => {
        // The first look sees restart count 0, every later one 1; all of them run.
        const policy = [
          'if [ "$1 $2" = "container inspect" ]; then',
          '  n=$(cat "$FAKE_DOCKER_LOG".n 2>/dev/null || echo 0)',
          '  echo $((n + 1)) > "$FAKE_DOCKER_LOG".n',
          '  if [ "$n" = 0 ]; then c=0; else c=1; fi',
          '  echo "/web-1 running $c 0 2026-12-07T10:00:00.5Z"',
          "fi",
        ].join("\n");
        const calls = await oneTick(root, policy, undefined, 3000);
        assert.equal(calls.length, 2, calls.join("\n"));
        assert.match(
          fs.readFileSync(path.join(root, "web", "events"), "utf8"),
          /^\S+Z web-1 exited at 2026-12-07T10:00:00.5Z; the restart policy of Docker started it again\n$/,
        );
      });
    });

    it("is not started where SLIPWAY_SUPERVISOR=off", async () => {
      const temp = tempDir();
      try {
        const docker = fakeDocker(temp.dir);
        const result = await sh(
          ["say() { printf '%s\\n' \"$*\"; }", ...superviseLines(temp.dir)].join("\n"),
          { env: docker.env },
        );
        assert.deepEqual(result, { code: 0, stdout: "", stderr: "" });
        assert.equal(fs.existsSync(supervisorDir(temp.dir)), false);
      } finally {
        temp.remove();
      }
    });
  });
  describe("the deploy lock it shares with a deploy", () => {
    /** A deploy's lock lines over `state`, as a deploy runs them. */
    const takeLock = (state: string) =>
      sh(
        [
          `state=${state}`,
          "fail() { printf '%s\\n' \"$*\" >&2; exit 1; }",
          ...shellLines("lock"),
          'take_lock "another deploy of web holds the lock on this host"',
          "echo locked",
        ].join("\n"),
      );

    it("waits for the supervisor while it starts a container again", async () => {
      const temp = tempDir();
      try {
        const state = path.join(temp.dir, "web");
        fs.mkdirSync(state);
        // The supervisor's revive: the lock, its owner line, about a second of `docker start`.
        const revive = supervisorScript(state)
          .split("\n")
          .find((line) => line.includes("lock.owner"))!;
        const holder = spawn(
          "sh",
          [
            "-c",
            `root=/r; set -- ${state} web-1; exec 8>>"$1"/lock; flock -n 8; ${revive.trim()}; sleep 1.5`,
          ],
          { stdio: "ignore" },
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        const owner = fs.readFileSync(path.join(state, "lock.owner"), "utf8");
        assert.match(
          owner,
          /^the supervisor of \/r \(pid \d+\), starting web-1 again, since \S+Z\n$/,
        );
        const started = Date.now();
        const result = await takeLock(state);
        assert.equal(result.stdout, "locked\n", result.stderr);
        assert.ok(Date.now() - started >= 800, "it waited for the supervisor's restart");
        holder.kill();
      } finally {
        temp.remove();
      }
    });

    it("refuses at once when a deploy holds it, naming that deploy", async () => {
      const temp = tempDir();
      try {
        const state = path.join(temp.dir, "web");
        fs.mkdirSync(state);
        const owner = "stack dev, ci from 10.0.0.5 (pid 7) since 2026-12-01T09:00:00Z";
        fs.writeFileSync(path.join(state, "lock.owner"), `${owner}\n`);
        const holder = spawn("flock", [path.join(state, "lock"), "sleep", "5"], {
          stdio: "ignore",
        });
        await new Promise((resolve) => setTimeout(resolve, 200));
        const started = Date.now();
        const result = await takeLock(state);
        holder.kill();
        assert.equal(result.code, 1);
        assert.equal(
          result.stderr,
          `another deploy of web holds the lock on this host: ${owner}; try again when it ends\n`,
        );
        assert.ok(Date.now() - started < 1000, "no wait");
      } finally {
        temp.remove();
      }
    });
  });
});
