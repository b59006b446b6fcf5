import { strict as assert } from "node:assert";
import { EXIT_CODES_HELP } from "../../../src/cli";
import { appendRelease } from "../../../src/ledger";
import { DEV, PROD, project, slipway, type Project } from "./harness";

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
        `  would delete  ${builds[2]!}  dev-3-gaaaaaa3, sha-aaaaaa3\n` +
        `  would delete  ${builds[3]!}  dev-4-gaaaaaa4, sha-aaaaaa4\n` +
        "would delete 2 manifests (4 tags) in 1 repository; nothing was deleted (--dry-run)\n",
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
      `deleted ${p.registry.server}/acme/web@${builds[2]!} (dev-3-gaaaaaa3, sha-aaaaaa3)\n` +
        `deleted ${p.registry.server}/acme/web@${builds[3]!} (dev-4-gaaaaaa4, sha-aaaaaa4)\n`,
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
  });

  it("needs --keep, and documents the exit codes in --help", async () => {
    assert.deepEqual(await slipway(p, ["retention", "--stack", "dev"]), {
      code: 2,
      stdout: "",
      stderr:
        "error: required option '--keep <n>' not specified\n(run slipway <command> --help for usage)\n",
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
