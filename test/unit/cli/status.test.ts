import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { knownHostsLine, sshArgs, SystemHostReader } from "../../../src/cli";
import { judgeHost } from "../../../src/cli/probe-hosts";
import type { HostConfig } from "../../../src/config";
import { hostProbeScript, parseProbe, PROBE_SECTION } from "../../../src/deploy";
import { DEV, digest, PROD, project, slipway, type Project } from "./harness";
import { D7, entry, healthy, probeText, ran, type Probed } from "./probe-fixtures";

describe("slipway status", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "Pulumi.dev.yaml": DEV, "Pulumi.prod.yaml": PROD });
  });
  afterEach(async () => p.close());

  it("exits 0 when every host runs what the stack pins", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1), [D7]));
    p.hosts.answers["web-2"] = ran(healthy(digest(1)));
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.deepEqual(result, {
      code: 0,
      stderr: "",
      stdout:
        "prod:\n" +
        `  web: image web; Pulumi.prod.yaml pins ${digest(1)}\n` +
        "ledger: no release recorded yet\n" +
        "SERVICE  HOST   STATE    RUNS                 REVISION  DEPLOYED              PREVIOUS             NOTE\n" +
        `web      web-1  in sync  ${digest(1).slice(0, 19)}  1111111   2025-02-15T10:01:00Z  ${D7.slice(0, 19)}\n` +
        `web      web-2  in sync  ${digest(1).slice(0, 19)}  1111111   2025-02-15T10:01:00Z\n` +
        "every host runs what prod pins\n",
    });
  });

  it("says which images of a build stack run a rollback pin, and until when", async () => {
    const server = p.registry.server;
    p.write(
      "Pulumi.prod.yaml",
      PROD.replace("slipway:role: promote", "slipway:role: build").replace(
        "    web:\n      pin:\n",
        "    web:\n      build:\n        context: app\n      pin:\n        restores: 2\n        pinnedAt: " +
          "a".repeat(40) +
          "\n",
      ),
    );
    p.driver.stackOutputs.prod = {
      images: {
        web: {
          repository: `${server}/acme/web`,
          digest: digest(1),
          ref: `${server}/acme/web@${digest(1)}`,
        },
      },
    };
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = ran(healthy(digest(1)));
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stdout);
    assert.deepEqual(result.stdout.split("\n").slice(0, 3), [
      "prod:",
      `  web: image web; the last update of prod deployed ${digest(1)}`,
      `  web: pinned by a rollback to release #2 (${digest(1).slice(0, 19)}) until a commit changes it; ends early with: slipway rollback --stack prod --unpin`,
    ]);
  });

  it("in sync with a note while a previous release still runs (draining before its background stop)", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1), [D7], { others: "web-7-release" }));
    p.hosts.answers["web-2"] = ran(healthy(digest(1)));
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout.split("\n")[4],
      `web      web-1  in sync  ${digest(1).slice(0, 19)}  1111111   2025-02-15T10:01:00Z  ${D7.slice(0, 19)}  ` +
        "also running: web-7-release (a previous release stops drainSeconds after the switch; if it stays, see retire.log in the service's state directory)",
    );
  });

  it("names the edge as the cause when it is down, and says repair starts it again", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = ran(healthy(digest(1), [], { edge: "exited", health: "fail" }));
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 5);
    assert.deepEqual(result.stdout.split("\n").slice(5), [
      `web      web-2  ${`DRIFT (stack: ${digest(1).slice(0, 19)})`.padEnd(34)}  ${digest(1).slice(0, 19)}  1111111   2025-02-15T10:01:00Z            the edge is exited: no request reaches the service`,
      "the edge slipway-edge is exited on web-2: every route there is down; next: slipway repair --stack prod  # starts it again",
      "web on web-2 differs from what prod pins; next: slipway repair --stack prod  # re-runs the pinned release there",
      "",
    ]);
  });

  it("names the supervisor's last restart of a release and of the edge, in sync when they run again", async () => {
    const restart =
      "2026-12-07T15:00:03Z web-1-release exited with code 137 at 2026-12-07T15:00:01.5Z; the supervisor started it again";
    const edgeRestart =
      "2026-12-07T15:01:02Z slipway-edge-caddy-1 exited with code 137 at 2026-12-07T15:01:00.1Z; the supervisor started it again";
    p.hosts.answers["web-1"] = ran(
      healthy(digest(1), [], { event: restart, edgeEvent: edgeRestart }),
    );
    p.hosts.answers["web-2"] = ran(healthy(digest(1)));
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stdout);
    assert.deepEqual(result.stdout.split("\n").slice(4), [
      `web      web-1  in sync  ${digest(1).slice(0, 19)}  1111111   2025-02-15T10:01:00Z            last restart: ${restart}`,
      `web      web-2  in sync  ${digest(1).slice(0, 19)}  1111111   2025-02-15T10:01:00Z`,
      "every host runs what prod pins",
      `the edge slipway-edge on web-1: last restart: ${edgeRestart}`,
      "",
    ]);
    const json = JSON.parse((await slipway(p, ["status", "--stack", "prod", "--json"])).stdout) as {
      edges: unknown[];
    };
    assert.deepEqual(json.edges, [
      { host: "web-1", state: "running", event: edgeRestart },
      { host: "web-2", state: "running" },
    ]);
  });

  it("drift where the host's supervisor does not run (nothing would bring a stopped container back); repair's deploy starts it", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1), [], { supervisor: "running" }));
    p.hosts.answers["web-2"] = ran(healthy(digest(1), [], { supervisor: "stopped" }));
    const result = await slipway(p, ["status", "--stack", "prod", "--json"]);
    assert.equal(result.code, 5, result.stdout);
    const hosts = (
      JSON.parse(result.stdout) as { services: { hosts: { state: string; error?: string }[] }[] }
    ).services[0]!.hosts;
    assert.deepEqual(
      hosts.map((host) => [host.state, host.error]),
      [
        ["in-sync", undefined],
        ["drift", "the host's supervisor is not running: a container that stops stays down"],
      ],
    );
  });

  it("after an interrupted update, says to clear the lock and pending operations before repair", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = ran(
      healthy(digest(1), [], { container: `exited ${digest(1)} prod` }),
    );
    p.driver.stackOutputs.prod = {};
    p.driver.pending.prod = [
      "command:remote:Command web-web-2-release, interrupted while updating",
    ];
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 5);
    assert.equal(
      result.stdout.split("\n").slice(-2)[0],
      "web on web-2 differs from what prod pins; an interrupted update left prod locked with operations pending " +
        "(command:remote:Command web-web-2-release, interrupted while updating); next, once no update of prod runs: " +
        "pulumi cancel --stack prod --yes; pulumi refresh --stack prod --clear-pending-creates --yes; slipway repair --stack prod",
    );
  });

  it("shows the warm release (the previous one, running without traffic for the rollback window) as a note, and in the JSON", async () => {
    // 2025-02-15T10:11:00Z
    const until = Date.UTC(2025, 1, 15, 10, 11, 0) / 1000;
    p.hosts.answers["web-1"] = ran(
      healthy(digest(1), [D7], {
        others: "web-7-release",
        warm: `web-7-release ${until} running ${D7}`,
      }),
    );
    // A warm release whose container is gone is not shown: a rollback falls back there.
    p.hosts.answers["web-2"] = ran(
      healthy(digest(1), [D7], { warm: `web-7-release ${until} missing` }),
    );
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.split("\n").slice(4, 6), [
      `web      web-1  in sync  ${digest(1).slice(0, 19)}  1111111   2025-02-15T10:01:00Z  ${D7.slice(0, 19)}  ` +
        `warm for rollback: ${D7.slice(0, 19)} (web-7-release) until 2025-02-15T10:11:00Z`,
      `web      web-2  in sync  ${digest(1).slice(0, 19)}  1111111   2025-02-15T10:01:00Z  ${D7.slice(0, 19)}`,
    ]);
    const json = await slipway(p, ["status", "--stack", "prod", "--json"]);
    const hosts = (JSON.parse(json.stdout) as { services: { hosts: { warm?: unknown }[] }[] })
      .services[0]!.hosts;
    assert.deepEqual(
      hosts.map((host) => host.warm),
      [{ container: "web-7-release", digest: D7, until: "2025-02-15T10:11:00Z" }, undefined],
    );
  });

  it("shows a canary in progress as a note: the split the edge reads", async () => {
    p.hosts.answers["web-1"] = ran(
      healthy(digest(1), [D7], {
        others: "web-8-release",
        split: "web-8-release:8080 10, web-1-release:8080 90",
      }),
    );
    p.hosts.answers["web-2"] = ran(healthy(digest(1), [D7]));
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout.split("\n")[4],
      `web      web-1  in sync  ${digest(1).slice(0, 19)}  1111111   2025-02-15T10:01:00Z  ${D7.slice(0, 19)}  ` +
        "canary in progress: the edge splits web-8-release:8080 10, web-1-release:8080 90 (<release> <weight>); the deploy walking it holds the service's lock; " +
        "also running: web-8-release (a previous release stops drainSeconds after the switch; if it stays, see retire.log in the service's state directory)",
    );
  });

  it("probes each host with the probe script of the stack's service and edge", async () => {
    await slipway(p, ["status", "--stack", "prod"]);
    const script = (host: string) =>
      hostProbeScript([
        {
          host,
          stack: "prod",
          service: "web",
          stateRoot: "/var/lib/slipway",
          edge: "slipway-edge",
          containerPort: 8080,
          healthPath: "/healthz",
          routes: [{ host: "web.example.com", tls: true }],
        },
      ]);
    assert.deepEqual(p.hosts.runs, [
      { host: "web-1", script: script("web-1") },
      { host: "web-2", script: script("web-2") },
    ]);
  });

  it("reads what runs: a stopped release is DRIFT whatever its record says; exits 5", async () => {
    p.hosts.answers["web-1"] = ran(
      healthy(digest(1), [], {
        container: `exited ${digest(1)} prod`,
        health: "fail wget: server returned error: HTTP/1.1 502 Bad Gateway",
      }),
    );
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 5);
    const note =
      "release container web-1-release is exited; health through the edge fails: wget: server returned error: HTTP/1.1 502 Bad Gateway";
    assert.deepEqual(result.stdout.split("\n").slice(3), [
      `SERVICE  HOST   ${"STATE".padEnd(34)}  RUNS  REVISION  DEPLOYED              PREVIOUS  NOTE`,
      `web      web-1  ${`DRIFT (stack: ${digest(1).slice(0, 19)})`.padEnd(34)}  -     1111111   2025-02-15T10:01:00Z            ${note}`,
      `web      web-2  ${"NO RELEASE".padEnd(34)}  -`,
      "web on web-1, web on web-2 differ from what prod pins; next: slipway repair --stack prod  # re-runs the pinned release there",
      "",
    ]);
    const json = JSON.parse(
      (await slipway(p, ["status", "--stack", "prod", "--json"])).stdout,
    ) as Record<string, any>;
    assert.deepEqual(
      (json.services[0].hosts as { host: string; state: string }[]).map(
        (host) => `${host.host} ${host.state}`,
      ),
      ["web-1 drift", "web-2 no-release"],
    );
    assert.equal(json.services[0].expected, digest(1));
    assert.equal(json.inSync, false);
  });

  it("exits 6 when a host cannot be reached, and names why", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = {
      kind: "unreachable",
      message: "ssh deploy@203.0.113.11:22 exited 255: Connection timed out",
    };
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 6);
    assert.deepEqual(result.stdout.split("\n").slice(5), [
      `web      web-2  UNREACHABLE  -${" ".repeat(62)}ssh deploy@203.0.113.11:22 exited 255: Connection timed out`,
      "web-2 could not be read; check SSH access, then: slipway status --stack prod",
      "",
    ]);
  });
});

describe("status: judging one host from its probe", () => {
  /** Judges a routed service's host, whose edge should route to web-1-release. */
  const judge = (fields: Probed) =>
    judgeHost("web-1", parseProbe(probeText(fields)), digest(1), "prod", "web-1-release:8080");

  it("in sync: the pinned release runs, the edge routes to it, a request through it works", () => {
    const fields = healthy(digest(1), [D7]);
    assert.deepEqual(judge(fields), {
      host: "web-1",
      state: "in-sync",
      current: entry(digest(1), "2025-02-15T10:01:00Z"),
      previous: [entry(D7, "2025-02-08T10:01:00Z")],
      running: digest(1),
    });
  });

  it("blue/green: in sync while the stack's digest runs behind the preview route and users get the live one", () => {
    const blueGreen = (preview: string) =>
      judgeHost(
        "web-1",
        parseProbe(probeText(healthy(D7, [], { preview }))),
        digest(1),
        "prod",
        "web-7-release:8080",
      );
    const host = blueGreen(`web-1-preview ${digest(1)} running`);
    assert.equal(host.state, "in-sync", host.error);
    assert.equal(
      host.note,
      `blue/green: every user gets ${D7.slice(0, 19)}; ${digest(1).slice(0, 19)} (web-1-preview) answers only on the preview route; slipway switch --stack prod moves every user to it`,
    );
    // The preview release gone: the host does not run what the stack pins.
    const gone = blueGreen(`web-1-preview ${digest(1)} missing`);
    assert.equal(gone.state, "drift");
    assert.match(gone.error ?? "", new RegExp(`^runs ${D7.slice(0, 19)}`));
  });

  it("drift: another release runs than the stack pins, and than the record says", () => {
    assert.deepEqual(judge(healthy(digest(1), [], { container: `running ${D7} prod` })), {
      host: "web-1",
      state: "drift",
      current: entry(digest(1), "2025-02-15T10:01:00Z"),
      previous: [],
      running: D7,
      error: `runs ${D7.slice(0, 19)}; its record says ${digest(1).slice(0, 19)}`,
    });
  });

  it("drift: the edge routes elsewhere, or is not running", () => {
    assert.equal(
      judge(healthy(digest(1), [], { upstream: "web-0-release:8080" })).error,
      "the edge routes to web-0-release:8080",
    );
    assert.equal(
      judge(healthy(digest(1), [], { upstream: "" })).error,
      "the edge routes to nothing",
    );
    // The edge is the cause, named once; not each service's failing health through it.
    assert.equal(
      judge(healthy(digest(1), [], { edge: "exited", health: "fail no answer" })).error,
      "the edge is exited: no request reaches the service",
    );
    // Its holder runs and the Caddy in it does not: the edge again, with the container named.
    assert.equal(
      judge(
        healthy(digest(1), [], {
          edge: "exited (its Caddy container slipway-edge-caddy-1a2b)",
          health: "fail no answer",
        }),
      ).error,
      "the edge is exited (its Caddy container slipway-edge-caddy-1a2b): no request reaches the service",
    );
  });

  it("drift: a release container Docker reports unhealthy, though it answers through the edge", () => {
    assert.deepEqual(
      judge(healthy(digest(1), [], { container: `running ${digest(1)} prod unhealthy` })),
      {
        host: "web-1",
        state: "drift",
        current: judge(healthy(digest(1))).current,
        previous: [],
        running: digest(1),
        error: "release container web-1-release is unhealthy (its Docker health check fails)",
      },
    );
    assert.equal(
      judge(healthy(digest(1), [], { container: `running ${digest(1)} prod healthy` })).state,
      "in-sync",
    );
  });

  it("says what failed when the health answer through the edge is empty", () => {
    assert.equal(
      judge(healthy(digest(1), [], { health: "fail" })).error,
      "health through the edge fails: no answer",
    );
  });

  it("drift: the service belongs to another stack; the release container is gone", () => {
    assert.equal(judge(healthy(digest(1), [], { owner: "dev" })).error, "owned by stack dev");
    const gone = judge(healthy(digest(1), [], { container: "missing", health: "fail no answer" }));
    assert.equal(gone.state, "drift");
    assert.equal(
      gone.error,
      "release container web-1-release is missing; health through the edge fails: no answer",
    );
  });

  it("a worker is not judged by the edge", () => {
    const fields = healthy(digest(1), [], {
      upstream: "",
      edge: "missing",
      health: "skipped no route covers the health path",
    });
    const worker = judgeHost("web-1", parseProbe(probeText(fields)), digest(1), "prod", undefined);
    assert.equal(worker.state, "in-sync", worker.error);
  });

  it("no release: neither a record nor a container; unreadable: a record of another shape", () => {
    assert.deepEqual(judge({}), { host: "web-1", state: "no-release" });
    assert.deepEqual(judge({ record: { service: "web" } }), {
      host: "web-1",
      state: "unreadable",
      error:
        "not a Slipway release record: current: Invalid input: expected object, received undefined",
    });
  });
});

describe("host release records", () => {
  const host: HostConfig = {
    name: "web-1",
    transport: "ssh",
    address: "203.0.113.10",
    port: 2222,
    user: "deploy",
    roles: [],
  };

  it("runs ssh with the key, port, batch mode and the pinned host key", () => {
    assert.deepEqual(
      sshArgs(host, { identity: "/tmp/k/identity", knownHosts: "/tmp/k/known_hosts" }, "true"),
      [
        "-i",
        "/tmp/k/identity",
        "-p",
        "2222",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "UserKnownHostsFile=/tmp/k/known_hosts",
        "--",
        "deploy@203.0.113.10",
        "true",
      ],
    );
    assert.equal(
      knownHostsLine("203.0.113.10", 2222, "ssh-ed25519 AAAA"),
      "[203.0.113.10]:2222 ssh-ed25519 AAAA\n",
    );
    assert.equal(
      knownHostsLine("203.0.113.10", 22, "ssh-ed25519 AAAA "),
      "203.0.113.10 ssh-ed25519 AAAA\n",
    );
  });

  it("jumps through a proxy with its own key", () => {
    const args = sshArgs(
      { ...host, proxy: { address: "bastion.example", port: 22, user: "jump" } },
      { identity: "/tmp/k/identity", proxyIdentity: "/tmp/k/proxy identity" },
      "true",
    );
    assert.equal(
      args.find((arg) => arg.startsWith("ProxyCommand=")),
      "ProxyCommand=ssh -i '/tmp/k/proxy identity' -p 22 -o BatchMode=yes -o ConnectTimeout=10 -o IdentitiesOnly=yes " +
        "-o StrictHostKeyChecking=accept-new -W %h:%p jump@bastion.example",
    );
  });

  it("runs a local host's script with sh, and names why it failed", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-release-"));
    try {
      const reader = new SystemHostReader();
      const local: HostConfig = { ...host, transport: "local" };
      fs.writeFileSync(path.join(dir, "owner"), "prod\n");
      assert.deepEqual(await reader.run(local, `printf 'owner %s' "$(cat '${dir}/owner')"`), {
        kind: "ran",
        stdout: "owner prod",
      });
      assert.deepEqual(await reader.run(local, "echo first >&2; echo 'no engine' >&2; exit 3"), {
        kind: "unreachable",
        message: "sh exited 3: no engine",
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("slipway status of accessories: what their containers are, not what the stack says", () => {
  const PG = `docker.io/library/postgres@${digest(3)}`;
  const WITH_PG = `${PROD}  slipway:accessories:
    postgres:
      image: ${PG}
      hosts:
        - web-2
      volumes:
        data: /var/lib/postgresql/data
`;
  let p: Project;
  beforeEach(async () => {
    p = await project({ "Pulumi.dev.yaml": DEV, "Pulumi.prod.yaml": WITH_PG });
  });
  afterEach(async () => p.close());

  /** web-2's probe output: web healthy on digest 1, and postgres's container as `seen`. */
  const withPostgres = (seen: string) => ({
    kind: "ran" as const,
    stdout: `${PROBE_SECTION} web\n${probeText(healthy(digest(1)))}slipway-probe-accessory postgres ${seen}\n`,
  });

  it("probes the accessory's container on its host only, and says running when it is", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = withPostgres(`running healthy ${digest(3)} prod`);
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stdout);
    assert.ok(
      result.stdout.includes(`\npostgres (accessory)  web-2  running  ${digest(3).slice(0, 19)}\n`),
      result.stdout,
    );
    assert.ok(p.hosts.runs[0]!.script.includes("slipway-probe-accessory") === false);
    assert.ok(p.hosts.runs[1]!.script.includes("slipway-probe-accessory postgres"));
    assert.ok(p.hosts.runs[1]!.script.includes(" slipway-prod-postgres 2>/dev/null"));
  });

  it("names the supervisor's last restart of the accessory, read from its state directory", async () => {
    const restart =
      "2026-12-07T15:02:04Z slipway-prod-postgres exited with code 137 at 2026-12-07T15:02:02.9Z; the supervisor started it again";
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = {
      kind: "ran",
      stdout: `${withPostgres(`running healthy ${digest(3)} prod`).stdout}slipway-probe-accessory-event postgres ${restart}\n`,
    };
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stdout);
    assert.ok(
      result.stdout.includes(
        `\npostgres (accessory)  web-2  running  ${digest(3).slice(0, 19)}${" ".repeat(44)}last restart: ${restart}\n`,
      ),
      result.stdout,
    );
    assert.ok(
      p.hosts.runs[1]!.script.includes(
        "if [ -s /var/lib/slipway/_accessories/slipway-prod-postgres/events ]; then printf '%s %s %s\\n' slipway-probe-accessory-event postgres \"$(tail -n 1 /var/lib/slipway/_accessories/slipway-prod-postgres/events)\"; fi",
      ),
      p.hosts.runs[1]!.script,
    );
  });

  it("is DRIFT when the container stopped, is unhealthy or runs another digest; MISSING when gone", async () => {
    p.hosts.answers["web-1"] = ran(healthy(digest(1)));
    p.hosts.answers["web-2"] = withPostgres(`exited unhealthy ${digest(4)} prod`);
    const drift = await slipway(p, ["status", "--stack", "prod", "--json"]);
    assert.equal(drift.code, 5, drift.stdout);
    assert.deepEqual((JSON.parse(drift.stdout) as { accessories: unknown[] }).accessories, [
      {
        accessory: "postgres",
        host: "web-2",
        state: "drift",
        running: digest(4),
        error: `container is exited; health unhealthy; runs ${digest(4).slice(0, 19)}`,
      },
    ]);
    p.hosts.answers["web-2"] = withPostgres("missing");
    const missing = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(missing.code, 5);
    assert.match(missing.stdout, /\npostgres \(accessory\) +web-2 +MISSING /);
    assert.match(missing.stdout, /postgres on web-2 differs from what prod pins/);
  });
});
