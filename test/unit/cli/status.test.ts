import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  knownHostsLine,
  readReleaseScript,
  releaseFile,
  sshArgs,
  SystemHostReader,
  type HostRead,
} from "../../../src/cli";
import type { HostConfig } from "../../../src/config";
import { DEV, digest, PROD, project, slipway, type Project } from "./harness";

function record(current: number, previous: number[] = []): HostRead {
  const entry = (n: number, at: string) => ({
    image: "web",
    ref: `ghcr.io/acme/web@${digest(n)}`,
    digest: digest(n),
    revision: `${n}`.repeat(40),
    deployedAt: at,
  });
  return {
    kind: "found",
    text: JSON.stringify({
      service: "web",
      current: entry(current, "2025-02-15T10:01:00Z"),
      previous: previous.map((n) => entry(n, "2025-02-08T10:01:00Z")),
    }),
  };
}

describe("slipway status", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "Pulumi.dev.yaml": DEV, "Pulumi.prod.yaml": PROD });
  });
  afterEach(async () => p.close());

  it("exits 0 when every host runs what the stack pins", async () => {
    p.hosts.records["web-1"] = record(1, [7]);
    p.hosts.records["web-2"] = record(1);
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.deepEqual(result, {
      code: 0,
      stderr: "",
      stdout:
        `prod: service web runs image web; Pulumi.prod.yaml pins ${digest(1)}\n` +
        "ledger: no release recorded yet\n" +
        "HOST   STATE    RUNS                 REVISION  DEPLOYED              PREVIOUS             NOTE\n" +
        `web-1  in sync  ${digest(1).slice(0, 19)}  1111111   2025-02-15T10:01:00Z  ${digest(7).slice(0, 19)}\n` +
        `web-2  in sync  ${digest(1).slice(0, 19)}  1111111   2025-02-15T10:01:00Z\n` +
        "every host runs what prod pins\n",
    });
    assert.deepEqual(p.hosts.reads, [
      "web-1:/var/lib/slipway/web/release.json",
      "web-2:/var/lib/slipway/web/release.json",
    ]);
  });

  it("shows drift and a host without a release, and exits 5", async () => {
    p.hosts.records["web-1"] = record(7, [1]);
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 5);
    assert.equal(
      result.stdout.split("\n").slice(2).join("\n"),
      "HOST   STATE                               RUNS                 REVISION  DEPLOYED              PREVIOUS             NOTE\n" +
        `web-1  DRIFT (stack: ${digest(1).slice(0, 19)})  ${digest(7).slice(0, 19)}  7777777   2025-02-15T10:01:00Z  ${digest(1).slice(0, 19)}\n` +
        "web-2  NO RELEASE                          -\n" +
        "2 of 2 hosts (web-1, web-2) differ; next: slipway up --stack prod\n",
    );
    const json = JSON.parse(
      (await slipway(p, ["status", "--stack", "prod", "--json"])).stdout,
    ) as Record<string, any>;
    assert.deepEqual(
      (json.hosts as { host: string; state: string }[]).map((host) => `${host.host} ${host.state}`),
      ["web-1 drift", "web-2 no-release"],
    );
    assert.equal(json.expected, digest(1));
    assert.equal(json.inSync, false);
  });

  it("exits 6 when a host cannot be reached, and names why", async () => {
    p.hosts.records["web-1"] = record(1);
    p.hosts.records["web-2"] = {
      kind: "unreachable",
      message: "ssh deploy@203.0.113.11:22 exited 255: Connection timed out",
    };
    const result = await slipway(p, ["status", "--stack", "prod"]);
    assert.equal(result.code, 6);
    assert.deepEqual(result.stdout.split("\n").slice(4), [
      `web-2  UNREACHABLE  -${" ".repeat(62)}ssh deploy@203.0.113.11:22 exited 255: Connection timed out`,
      "1 of 2 hosts (web-2) could not be read; check SSH access, then: slipway status --stack prod",
      "",
    ]);
  });
});

describe("host release records", () => {
  const host: HostConfig = {
    name: "web-1",
    transport: "ssh",
    address: "203.0.113.10",
    port: 2222,
    user: "deploy",
  };

  it("reads the record with a script that tells a missing file apart", () => {
    assert.equal(releaseFile("/var/lib/slipway", "web"), "/var/lib/slipway/web/release.json");
    assert.equal(
      readReleaseScript("/var/lib/slipway/web/release.json"),
      "test -f /var/lib/slipway/web/release.json || exit 44; cat /var/lib/slipway/web/release.json",
    );
    assert.equal(
      readReleaseScript("/tmp/a b/release.json"),
      "test -f '/tmp/a b/release.json' || exit 44; cat '/tmp/a b/release.json'",
    );
  });

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

  it("reads a local host's record from the file system", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-release-"));
    try {
      const reader = new SystemHostReader();
      const local: HostConfig = { ...host, transport: "local" };
      const file = path.join(dir, "web", "release.json");
      assert.deepEqual(await reader.read(local, file), { kind: "missing" });
      fs.mkdirSync(path.dirname(file));
      fs.writeFileSync(file, '{"service":"web"}');
      assert.deepEqual(await reader.read(local, file), {
        kind: "found",
        text: '{"service":"web"}',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
