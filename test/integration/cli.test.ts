/**
 * `slipway` as users run it (bin/slipway.js, the real Automation API driver) against the
 * real Pulumi engine on a file backend, the local registry and the local sshd. The Pulumi
 * program here is a small stand-in that exports `images` the way stacks/index.ts does (a
 * build stack: what a file says was built; a promote stack: its pins), so these tests cover
 * the CLI, not the Slipway program (which the end-to-end group runs).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RegistryClient } from "../../src/registry";
import {
  REGISTRY,
  REPO_ROOT,
  SSH,
  pulumiEnv,
  run,
  pushScratchRelease,
  sshExec,
  uniqueTag,
  useServices,
  type RunResult,
} from "../helpers/services";

const BIN = path.join(REPO_ROOT, "bin", "slipway.js");

/**
 * A stand-in program: exports `images` like stacks/index.ts, and `release` with the same
 * function (releaseOf, from Slipway's sources); fails when `fail-<stack>` exists.
 */
const PROGRAM = `const fs = require("fs");
const pulumi = require("@pulumi/pulumi");
require(${JSON.stringify(path.join(REPO_ROOT, "node_modules", "ts-node"))}).register({
  transpileOnly: true,
  project: ${JSON.stringify(path.join(REPO_ROOT, "tsconfig.json"))},
});
const { readLedger, releaseOf } = require(${JSON.stringify(path.join(REPO_ROOT, "src", "ledger"))});
const { recordedTag } = require(${JSON.stringify(path.join(REPO_ROOT, "src", "registry", "tags"))});
const stack = pulumi.getStack();
if (fs.existsSync("fail-" + stack)) {
  throw new Error("deploy of " + stack + " failed: the health check never passed");
}
const registry = JSON.parse(pulumi.runtime.getConfig("slipway:registry"));
const images = JSON.parse(pulumi.runtime.getConfig("slipway:images"));
const out = {};
for (const [name, image] of Object.entries(images)) {
  if (image.build !== undefined) {
    out[name] = JSON.parse(fs.readFileSync("built-" + name + ".json", "utf8"));
  } else {
    const repository = image.pin.repository || registry.server + "/" + registry.namespace + "/" + name;
    out[name] = {
      repository,
      digest: image.pin.digest,
      ref: repository + "@" + image.pin.digest,
      tags: image.pin.tag ? [repository + ":" + image.pin.tag] : [],
      platforms: [],
      ...(image.pin.revision ? { revision: image.pin.revision } : {}),
    };
  }
}
exports.images = out;
const pins = {};
for (const [name, image] of Object.entries(images)) {
  if (image.pin !== undefined) {
    pins[name] = { digest: image.pin.digest, source: image.pin.source, restores: image.pin.restores };
  }
}
const released = {};
for (const [name, image] of Object.entries(out)) {
  const tag = recordedTag(image.tags);
  released[name] = {
    ref: image.ref,
    digest: image.digest,
    ...(tag === undefined ? {} : { tag }),
    ...(image.revision === undefined ? {} : { revision: image.revision }),
  };
}
exports.release = releaseOf(readLedger(stack, process.cwd()), released, pins) || null;
`;

describe("slipway with the real Pulumi engine, registry and sshd", function () {
  this.timeout(600_000);
  useServices(["docker", "registry", "sshd", "buildkitd"]);

  const namespace = uniqueTag("cli");
  const repository = `${REGISTRY}/${namespace}/web`;
  const client = new RegistryClient({ server: REGISTRY, insecure: true });
  const digests: Record<string, string> = {};
  let work: string;
  let project: string;
  let env: NodeJS.ProcessEnv;

  async function release(name: string, platforms: string): Promise<string> {
    digests[name] = await pushScratchRelease({
      work,
      repository,
      name,
      tags: [`sha-${name}`],
      platforms,
      content: `${namespace} ${name}\n`,
    });
    return digests[name];
  }

  const pulumi = (args: readonly string[]) =>
    run("pulumi", args, { cwd: project, env, timeoutMs: 300_000 });
  const slipway = (args: readonly string[]) =>
    run(process.execPath, [BIN, ...args], { cwd: project, env, timeoutMs: 300_000 });
  const read = (file: string) => fs.readFileSync(path.join(project, file), "utf8");

  /** Says what dev "built" and deploys dev with the pulumi CLI, as CI does. */
  async function deployDev(name: string): Promise<RunResult> {
    fs.writeFileSync(
      path.join(project, "built-web.json"),
      JSON.stringify({
        repository,
        digest: digests[name],
        ref: `${repository}@${digests[name]!}`,
        tags: [`${repository}:sha-${name}`, `${repository}:dev`],
        platforms: ["linux/amd64", "linux/arm64"],
        revision: `${name}`.padEnd(40, "0"),
      }),
    );
    return pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
  }

  function assertOk(result: RunResult, what: string): void {
    assert.equal(
      result.code,
      0,
      `${what} exited ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  }

  before(async function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-cli-"));
    project = path.join(work, "project");
    fs.mkdirSync(path.join(project, "app"), { recursive: true });
    fs.mkdirSync(path.join(work, "state"));
    env = await pulumiEnv(path.join(work, "state"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(project, "node_modules"));
    fs.writeFileSync(
      path.join(project, "Pulumi.yaml"),
      "name: slipway\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n",
    );
    fs.writeFileSync(path.join(project, "index.js"), PROGRAM);
    fs.writeFileSync(path.join(project, "app", "Dockerfile"), "FROM scratch\n");

    for (const [name, platforms] of [
      ["a", "linux/amd64,linux/arm64"],
      ["b", "linux/amd64,linux/arm64"],
      ["c", "linux/amd64,linux/arm64"],
      ["s", "linux/amd64"],
    ] as const) {
      await release(name, platforms);
    }

    const registry = `  slipway:registry:\n    server: ${REGISTRY}\n    namespace: ${namespace}\n    insecure: true\n`;
    fs.writeFileSync(
      path.join(project, "Pulumi.dev.yaml"),
      `config:\n  slipway:role: build\n${registry}  slipway:images:\n    web:\n      build:\n        context: app\n`,
    );
    fs.writeFileSync(
      path.join(project, "Pulumi.prod.yaml"),
      `config:\n  slipway:role: promote\n${registry}  slipway:images:\n    web:\n      pin:\n` +
        `        digest: ${digests.a!}\n        tag: sha-a\n`,
    );
    for (const stack of ["dev", "prod"]) {
      assertOk(await pulumi(["stack", "init", stack]), `pulumi stack init ${stack}`);
    }
    // A secret in prod's config: the driver must decrypt it through the engine.
    assertOk(
      await pulumi([
        "config",
        "set",
        "--path",
        "slipway:registry.username",
        "bot",
        "--stack",
        "prod",
      ]),
      "pulumi config set",
    );
    assertOk(
      await pulumi([
        "config",
        "set",
        "--secret",
        "--path",
        "slipway:registry.password",
        "hunter2",
        "--stack",
        "prod",
      ]),
      "pulumi config set --secret",
    );
    // Comments people write, which every edit must keep.
    const withComments = read("Pulumi.prod.yaml")
      .replace(/^/, "# prod runs what dev built; slipway pins it here.\n")
      .replace(
        "      pin:\n",
        "      pin:\n        # Pinned by `slipway promote`; do not edit by hand.\n",
      );
    assert.notEqual(withComments, read("Pulumi.prod.yaml"));
    fs.writeFileSync(path.join(project, "Pulumi.prod.yaml"), withComments);
    assertOk(
      await pulumi(["up", "--yes", "--skip-preview", "--stack", "prod"]),
      "first pulumi up of prod",
    );
  });

  after(async function () {
    for (const digest of new Set(Object.values(digests))) {
      await client.delete(`${namespace}/web`, digest).catch(() => undefined);
    }
    if (work !== undefined) {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it("refuses to promote from a stack whose last update failed, naming the next command", async function () {
    fs.writeFileSync(path.join(project, "fail-dev"), "");
    assert.notEqual((await deployDev("b")).code, 0);
    fs.rmSync(path.join(project, "fail-dev"));
    const before = read("Pulumi.prod.yaml");
    const result = await slipway(["promote", "--from", "dev", "--to", "prod"]);
    assert.equal(result.code, 3, result.stderr);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /^slipway: the last update of dev \(version \d+, \d{4}-\d\d-\d\dT[0-9:.]+Z\) failed; its outputs may not be what its hosts run\nnext:\n {2}pulumi up --stack dev {2}# fix and deploy dev first\n {2}slipway promote --from dev --to prod --force {2}# promote its last outputs anyway\n$/,
    );
    assert.equal(read("Pulumi.prod.yaml"), before);
  });

  it("refuses a single-platform digest that dev deployed", async function () {
    assertOk(await deployDev("s"), "pulumi up dev (single-platform)");
    const result = await slipway(["promote", "--from", "dev", "--to", "prod", "--json"]);
    assert.equal(result.code, 3, result.stderr);
    const error = (JSON.parse(result.stdout) as { error: { message: string } }).error;
    assert.equal(
      error.message,
      "refused; nothing was changed:\n" +
        `  web: ${repository}@${digests.s!} is a single-platform image (linux/amd64); it lacks linux/arm64 ` +
        "(required: linux/amd64, linux/arm64)",
    );
  });

  it("promotes: pins with comments and the secret kept, runs pulumi up, records release #1", async function () {
    assertOk(await deployDev("b"), "pulumi up dev");
    const before = read("Pulumi.prod.yaml");
    const result = await slipway(["promote", "--from", "dev", "--to", "prod"]);
    assertOk(result, "slipway promote");
    assert.equal(
      result.stdout,
      `promoted dev -> prod, release #1:\n  web: ${digests.a!} -> ${digests.b!} sha-b rev b00000000000\n`,
    );
    assert.equal(
      read("Pulumi.prod.yaml"),
      before
        .replace(`digest: ${digests.a!}`, `digest: ${digests.b!}`)
        .replace(
          "tag: sha-a\n",
          `tag: sha-b\n        revision: ${"b".padEnd(40, "0")}\n        source: dev\n`,
        ),
    );
    const outputs = JSON.parse(
      (await pulumi(["stack", "output", "images", "--json", "--stack", "prod"])).stdout,
    ) as Record<string, { digest: string }>;
    assert.equal(outputs.web!.digest, digests.b);
    const ledger = read("stacks/releases/prod.yaml");
    assert.match(ledger, /\n {4}kind: promote\n {4}by: slipway promote --from dev --to prod\n/);
    // A file backend reports version 0; the ledger records the update's place in the history.
    assert.match(
      ledger,
      /\n {4}update:\n {6}result: succeeded\n {6}version: [1-9][0-9]*\n {6}seconds: [0-9.]+\n$/,
    );
  });

  it("promotes again, shows the history, and rolls back through the engine", async function () {
    assertOk(await deployDev("c"), "pulumi up dev");
    assertOk(await slipway(["promote", "--from", "dev", "--to", "prod"]), "second promote");
    const history = await slipway(["history", "--stack", "prod"]);
    assertOk(history, "slipway history");
    assert.deepEqual(
      history.stdout.split("\n").map((line) => line.split(/ {2,}/).slice(0, 5).join(" | ")),
      [
        "# | AT | KIND | IMAGE | DIGEST",
        `1 | ${history.stdout.split("\n")[1]!.split(/ {2,}/)[1]!} | promote from dev | web | ${digests.b!.slice(0, 19)}`,
        `2 | ${history.stdout.split("\n")[2]!.split(/ {2,}/)[1]!} | promote from dev | web | ${digests.c!.slice(0, 19)}`,
        // The stand-in program deploys to no host: `*` marks what hosts run, so none here.
        "what the hosts run is not known (prod deploys no service to hosts); no release is marked",
        "",
      ],
    );
    const rollback = await slipway(["rollback", "--stack", "prod"]);
    assertOk(rollback, "slipway rollback");
    assert.equal(
      rollback.stdout,
      `rolled prod back to release #1; recorded as release #3:\n  web: ${digests.c!} -> ${digests.b!} sha-b\n`,
    );
    const outputs = JSON.parse(
      (await pulumi(["stack", "output", "images", "--json", "--stack", "prod"])).stdout,
    ) as Record<string, { digest: string }>;
    assert.equal(outputs.web!.digest, digests.b);
  });

  it("reports a failed update with exit 4 and the next commands; slipway up then records it", async function () {
    fs.writeFileSync(path.join(project, "fail-prod"), "");
    const ledgerBefore = read("stacks/releases/prod.yaml");
    const failed = await slipway(["rollback", "--stack", "prod", "--to", digests.c!]);
    fs.rmSync(path.join(project, "fail-prod"));
    assert.equal(failed.code, 4, failed.stderr);
    assert.match(
      failed.stderr,
      /\nslipway: the update of prod failed: Error: deploy of prod failed: the health check never passed\n/,
    );
    assert.match(
      failed.stderr,
      /\ncause:\n(?: {2}.*\n)* {2}Error: deploy of prod failed: the health check never passed\n/,
    );
    assert.ok(
      failed.stderr.endsWith(
        "Pulumi.prod.yaml keeps its pins; the ledger is unchanged\nnext:\n" +
          "  slipway up --stack prod  # retry once the cause is fixed\n" +
          "  slipway rollback --stack prod  # pin the release the hosts still run\n",
      ),
      failed.stderr,
    );
    assert.equal(read("stacks/releases/prod.yaml"), ledgerBefore);
    assert.match(read("Pulumi.prod.yaml"), new RegExp(`digest: ${digests.c!}`));
    const up = await slipway(["up", "--stack", "prod", "--json"]);
    assertOk(up, "slipway up");
    const json = JSON.parse(up.stdout) as {
      release: { id: number; kind: string; images: { web: { digest: string } } };
    };
    assert.deepEqual(
      { id: json.release.id, kind: json.release.kind, digest: json.release.images.web.digest },
      // The pins say it restores release #2: recorded as the rollback it is.
      { id: 4, kind: "rollback", digest: digests.c },
    );
  });

  describe("status over real SSH", function () {
    const service = uniqueTag("st");
    const file = `/var/lib/slipway/${service}/release.json`;
    let root: string;

    before(function () {
      root = path.join(work, "status");
      fs.mkdirSync(root);
      fs.copyFileSync(path.join(project, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
      fs.writeFileSync(
        path.join(root, "Pulumi.edge.yaml"),
        "config:\n  slipway:role: promote\n" +
          `  slipway:registry:\n    server: ${REGISTRY}\n    namespace: ${namespace}\n    insecure: true\n` +
          `  slipway:images:\n    web:\n      pin:\n        digest: ${digests.b!}\n` +
          "  slipway:hosts:\n" +
          `    - name: over-ssh\n      address: ${SSH.host}\n      port: ${SSH.port}\n      user: ${SSH.user}\n` +
          `      privateKeyFile: ${SSH.keyPath}\n` +
          `      hostKey: ${fs.readFileSync(SSH.knownHostsPath, "utf8").split("\n")[0]!.split(" ").slice(1, 3).join(" ")}\n` +
          "    - name: closed-port\n      address: 127.0.0.1\n      port: 1\n      user: root\n" +
          `      privateKeyFile: ${SSH.keyPath}\n` +
          `  slipway:edge:\n    name: ${service}-edge\n` +
          `  slipway:services:\n    ${service}:\n      image: web\n      routes: [{}]\n`,
      );
    });

    after(async function () {
      await sshExec(`rm -rf /var/lib/slipway/${service}`);
    });

    it("looks at what runs over ssh: a record whose release does not run is DRIFT; an unreachable host", async function () {
      const record = (digest: string) =>
        JSON.stringify({
          service,
          stack: "edge",
          current: {
            image: "web",
            ref: `${repository}@${digest}`,
            digest,
            revision: "c".padEnd(40, "0"),
            deployedAt: "2025-03-01T10:00:00Z",
          },
          previous: [],
        });
      // A record (and a current container name) that says the pinned digest runs, while no
      // such container exists and no edge routes to it: the record alone would say "in sync".
      const write = (digest: string) =>
        sshExec(
          `mkdir -p /var/lib/slipway/${service} && printf '%s' '${record(digest)}' > ${file} && ` +
            `printf '%s\\n' ${service}-gone > /var/lib/slipway/${service}/current`,
        );
      assertOk(await write(digests.b!), "writing the release record");
      const status = await slipway(["--root", root, "status", "--stack", "edge", "--json"]);
      assert.equal(status.code, 6, status.stderr);
      const parsed = JSON.parse(status.stdout) as {
        services: { service: string; hosts: { host: string; state: string; error?: string }[] }[];
      };
      assert.deepEqual(
        parsed.services.map((entry) => entry.service),
        [service],
      );
      const json = parsed.services[0]!;
      assert.deepEqual(
        json.hosts.map((host) => [host.host, host.state]),
        [
          ["over-ssh", "drift"],
          ["closed-port", "unreachable"],
        ],
      );
      assert.equal(
        json.hosts[0]!.error,
        `release container ${service}-gone is missing; the edge is missing: no request reaches the service`,
      );
      assert.match(
        json.hosts[1]!.error!,
        /^ssh root@127\.0\.0\.1:1 exited 255: .*Connection refused/,
      );
      const table = await slipway(["--root", root, "status", "--stack", "edge"]);
      assert.equal(table.code, 6);
      assert.match(
        table.stdout,
        new RegExp(`\\n${service} +over-ssh {5}DRIFT \\(stack: sha256:[0-9a-f]{12}\\) {2}- `),
      );
      assert.match(table.stdout, /next: slipway repair --stack edge/);
    });
  });
});
