import { strict as assert } from "node:assert";
import { EXIT_CODES_HELP } from "../../../src/cli";
import { appendRelease } from "../../../src/ledger";
import { DEV, PROD, project, slipway, type Project } from "./harness";

const WITH_CHILDREN = "with 4 manifests it lists or that refer to it";

describe("slipway retention", () => {
  let p: Project;
  const builds: string[] = [];

  beforeEach(async () => {
    p = await project({ "Pulumi.dev.yaml": DEV, "Pulumi.prod.yaml": PROD });
    builds.length = 0;
    for (let n = 1; n <= 5; n += 1) {
      builds.push(
        p.registry.pushIndex("acme/web", ["linux/amd64", "linux/arm64"], {
          created: `2025-01-0${n}T00:00:00Z`,
          content: `web ${n}`,
          tags: [`dev-${n}-gaaaaaa${n}`, `sha-aaaaaa${n}`],
        }),
      );
    }
    p.registry.tag("acme/web", "dev", builds[4]!);
    p.registry.tag("acme/web", "v1.0.0", builds[1]!);
    p.registry.pushIndex("acme/web", ["linux/amd64"], { content: "cache", tags: ["buildcache"] });
    // prod's ledger ran build 1; nothing pins it any more.
    const server = p.registry.server;
    p.write(
      "stacks/releases/prod.yaml",
      appendRelease(undefined, "prod", {
        at: "2025-01-02T00:00:00Z",
        kind: "promote",
        by: "slipway promote --from dev --to prod",
        images: { web: { ref: `${server}/acme/web@${builds[0]!}`, digest: builds[0]! } },
        update: { result: "succeeded" },
      }).text,
    );
  });
  afterEach(async () => p.close());

  it("prints what it would delete with --dry-run and deletes nothing", async () => {
    const before = p.registry.tagsOf("acme/web");
    const result = await slipway(p, [
      "retention",
      "--stack",
      "dev",
      "--keep",
      "1",
      "--image",
      "web",
      "--dry-run",
    ]);
    const s = (n: number) => builds[n - 1]!.slice(0, 19);
    assert.deepEqual(result, {
      code: 0,
      stderr: "",
      stdout:
        `${p.registry.server}/acme/web (keep 1 of each per-build tag kind):\n` +
        `  keep    buildcache  ${p.registry.tagsOf("acme/web").buildcache!.slice(0, 19)}  build cache\n` +
        `  keep    dev  ${s(5)}  the moving dev tag\n` +
        `  keep    dev-1-gaaaaaa1  ${s(1)}  protected: ledger of prod #1 (web)\n` +
        `  keep    dev-2-gaaaaaa2  ${s(2)}  same digest as v1.0.0\n` +
        `  keep    dev-5-gaaaaaa5  ${s(5)}  newest 1 dev-<count>-g<sha>\n` +
        `  keep    sha-aaaaaa1  ${s(1)}  protected: ledger of prod #1 (web)\n` +
        `  keep    sha-aaaaaa2  ${s(2)}  same digest as v1.0.0\n` +
        `  keep    sha-aaaaaa5  ${s(5)}  newest 1 sha-*\n` +
        `  keep    v1.0.0  ${s(2)}  release tag\n` +
        `  would delete  ${builds[2]!}  dev-3-gaaaaaa3, sha-aaaaaa3; ${WITH_CHILDREN}\n` +
        `  would delete  ${builds[3]!}  dev-4-gaaaaaa4, sha-aaaaaa4; ${WITH_CHILDREN}\n` +
        "would delete 2 manifests (4 tags; and 8 manifests they list or that refer to them) in 1 repository; " +
        "nothing was deleted (--dry-run)\n",
    });
    assert.deepEqual(p.registry.tagsOf("acme/web"), before);
  });

  it("deletes the manifests it names and keeps everything else", async () => {
    const result = await slipway(p, ["retention", "--stack", "dev", "--keep", "1", "--json"]);
    assert.equal(result.code, 0);
    const json = JSON.parse(result.stdout) as Record<string, any>;
    assert.deepEqual(
      (json.repositories as { repository: string; deleted: unknown[] }[]).map((plan) => [
        plan.repository,
        plan.deleted.length,
      ]),
      [
        [`${p.registry.server}/acme/web`, 2],
        [`${p.registry.server}/acme/edge`, 0],
      ],
    );
    assert.equal(
      result.stderr,
      `deleted ${p.registry.server}/acme/web@${builds[2]!} (dev-3-gaaaaaa3, sha-aaaaaa3; ${WITH_CHILDREN})\n` +
        `deleted ${p.registry.server}/acme/web@${builds[3]!} (dev-4-gaaaaaa4, sha-aaaaaa4; ${WITH_CHILDREN})\n`,
    );
    assert.deepEqual(Object.keys(p.registry.tagsOf("acme/web")), [
      "buildcache",
      "dev",
      "dev-1-gaaaaaa1",
      "dev-2-gaaaaaa2",
      "dev-5-gaaaaaa5",
      "sha-aaaaaa1",
      "sha-aaaaaa2",
      "sha-aaaaaa5",
      "v1.0.0",
    ]);
    assert.equal(p.registry.hasManifest("acme/web", builds[0]!), true);
    for (const gone of [builds[2]!, builds[3]!]) {
      assert.equal(p.registry.hasManifest("acme/web", gone), false, gone);
    }
    // Each deleted index took its two platform images and two attestation manifests along.
    assert.equal(
      new Set(
        p.registry.requests
          .filter((request) => request.method === "DELETE")
          .map((request) => request.url),
      ).size,
      2 * (1 + 4),
    );
  });

  it("keeps each repository's keepDevVersions without --keep, 10 by default", async () => {
    p.write(
      "Pulumi.dev.yaml",
      DEV.replace(
        "    insecure: true\n",
        "    insecure: true\n    repositories:\n      web:\n        keepDevVersions: 2\n",
      ),
    );
    const result = await slipway(p, ["retention", "--stack", "dev", "--dry-run"]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split("\n");
    assert.equal(lines[0], `${p.registry.server}/acme/web (keep 2 of each per-build tag kind):`);
    // Builds 5 and 4 are the newest two, 2 is a release and 1 is in prod's ledger.
    assert.deepEqual(
      lines.filter((line) => line.startsWith("  would delete")),
      [`  would delete  ${builds[2]!}  dev-3-gaaaaaa3, sha-aaaaaa3; ${WITH_CHILDREN}`],
    );
    assert.ok(
      lines.includes(`${p.registry.server}/acme/edge (keep 10 of each per-build tag kind):`),
      result.stdout,
    );
  });

  it("refuses to delete from Docker Hub before reading anything, pointing at --dry-run", async () => {
    p.write(
      "Pulumi.hub.yaml",
      DEV.replace("server: REGISTRY", "server: docker.io").replace("    insecure: true\n", ""),
    );
    const before = p.registry.requests.length;
    const result = await slipway(p, ["retention", "--stack", "hub"]);
    assert.deepEqual(result, {
      code: 3,
      stdout: "",
      stderr:
        "slipway: retention cannot delete from Docker Hub (docker.io/acme/web, docker.io/acme/edge): Docker Hub " +
        "refuses the registry API's delete; see what would go with --dry-run and delete those tags on Docker Hub\n" +
        "next:\n  slipway retention --stack hub --dry-run\n",
    });
    assert.equal(p.registry.requests.length, before);
  });

  it("refuses --keep 0, and documents the exit codes in --help", async () => {
    assert.deepEqual(await slipway(p, ["retention", "--stack", "dev", "--keep", "0"]), {
      code: 2,
      stdout: "",
      stderr:
        "error: option '--keep <n>' argument '0' is invalid. expected a whole number of at least 1\n" +
        "(run slipway <command> --help for usage)\n",
    });
    const help = await slipway(p, ["--help"]);
    assert.equal(help.code, 0);
    assert.ok(help.stdout.endsWith(`\n${EXIT_CODES_HELP}\n`), help.stdout);
    const sub = await slipway(p, ["retention", "--help"]);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /^Usage: slipway retention \[options\]\n/);
    assert.equal((await slipway(p, [])).code, 2);
    assert.equal((await slipway(p, ["deploy"])).code, 2);
  });
});
