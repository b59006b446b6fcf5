import { strict as assert } from "node:assert";
import { DriverError } from "../../../src/cli";
import { DEV, digest, PROD, project, slipway, type Project } from "./harness";

const REVISION = "1111111aaaaabbbbbcccccdddddeeeeefffff000";

describe("slipway promote", () => {
  let p: Project;
  let web: string;
  let edge: string;

  function exported(name: string, image: string, tags: readonly string[]) {
    const repository = `${p.registry.server}/acme/${name}`;
    return {
      repository,
      digest: image,
      ref: `${repository}@${image}`,
      tags: tags.map((tag) => `${repository}:${tag}`),
      platforms: ["linux/amd64", "linux/arm64"],
      revision: REVISION,
    };
  }

  /** dev's 7th update: web and edge pushed for both platforms and exported with their tags. */
  function devReleased(): void {
    const tags = ["dev", "dev-7-g1111111", "sha-1111111"];
    web = p.registry.pushIndex("acme/web", ["linux/amd64", "linux/arm64"], {
      tags,
      content: "web 7",
    });
    edge = p.registry.pushIndex("acme/edge", ["linux/amd64", "linux/arm64"], {
      tags,
      content: "edge 7",
    });
    p.driver.lastUpdates.dev = {
      result: "succeeded",
      version: 7,
      endTime: "2025-03-01T09:00:00.000Z",
    };
    p.driver.stackOutputs.dev = {
      images: { web: exported("web", web, tags), edge: exported("edge", edge, tags) },
    };
  }

  beforeEach(async () => {
    p = await project({ "Pulumi.dev.yaml": DEV, "Pulumi.prod.yaml": PROD });
    devReleased();
  });
  afterEach(async () => p.close());

  it("pins dev's digests in Pulumi.prod.yaml, keeping comments, runs the update and records the release", async () => {
    const result = await slipway(p, ["promote", "--from", "dev", "--to", "prod"]);
    const server = p.registry.server;
    assert.deepEqual(result, {
      code: 0,
      stdout:
        "promoted dev -> prod, release #1:\n" +
        `  web: ${digest(1)} -> ${web} sha-1111111 rev 1111111aaaaa\n` +
        `  edge: ${digest(2)} -> ${edge} sha-1111111 rev 1111111aaaaa\n`,
      stderr:
        `checked web: ${web} is in ${server}/acme/web (linux/amd64, linux/arm64)\n` +
        `checked edge: ${edge} is in ${server}/acme/edge (linux/amd64, linux/arm64)\n` +
        `pinned web ${web} (sha-1111111) in Pulumi.prod.yaml\n` +
        `pinned edge ${edge} (sha-1111111) in Pulumi.prod.yaml\n` +
        "running pulumi up on prod…\n" +
        "Updating (prod)\nResources: 4 unchanged\n" +
        "recorded release #1 in stacks/releases/prod.yaml\n",
    });
    const expectedFile = PROD.split("REGISTRY")
      .join(server)
      .replace(
        `digest: ${digest(1)}\n        tag: sha-0000001\n`,
        `digest: ${web}\n        tag: sha-1111111\n        revision: ${REVISION}\n        source: dev\n`,
      )
      .replace(
        `digest: ${digest(2)}\n`,
        `digest: ${edge}\n        tag: sha-1111111\n        revision: ${REVISION}\n        source: dev\n`,
      );
    assert.equal(p.read("Pulumi.prod.yaml"), expectedFile);
    assert.deepEqual(
      p.driver.ups.map((up) => up.stack),
      ["prod"],
    );
    assert.equal(p.driver.ups[0]!.stackFile, expectedFile);
    assert.equal(
      p.read("stacks/releases/prod.yaml"),
      `# Release ledger of stack prod: one entry per successful update made by slipway
# (promote, rollback, up). Written by the CLI and reviewed in git; do not edit by hand.
#   slipway history --stack prod    shows it as a table
#   slipway rollback --stack prod   pins an earlier entry and runs the update
stack: prod
releases:
  - id: 1
    at: 2025-03-01T10:00:00Z
    kind: promote
    by: slipway promote --from dev --to prod
    user: alice
    source: dev
    images:
      web:
        ref: ${server}/acme/web@${web}
        digest: ${web}
        tag: sha-1111111
        revision: ${REVISION}
      edge:
        ref: ${server}/acme/edge@${edge}
        digest: ${edge}
        tag: sha-1111111
        revision: ${REVISION}
    update:
      result: succeeded
      version: 41
      seconds: 12.5
`,
    );
  });

  it("promotes into a stack that pins no image yet (its first promotion)", async () => {
    const empty = PROD.replace(
      /^ {2}slipway:images:\n[\s\S]*?(?=^ {2}slipway:hosts:)/m,
      "  slipway:images: {}\n",
    );
    assert.ok(empty.includes("slipway:images: {}"));
    await p.close();
    p = await project({ "Pulumi.dev.yaml": DEV, "Pulumi.prod.yaml": empty });
    devReleased();
    const result = await slipway(p, ["promote", "--from", "dev", "--to", "prod"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      "promoted dev -> prod, release #1:\n" +
        `  web: (new) -> ${web} sha-1111111 rev 1111111aaaaa\n` +
        `  edge: (new) -> ${edge} sha-1111111 rev 1111111aaaaa\n`,
    );
  });

  it("prints one JSON document with --json, and says when there is nothing to promote", async () => {
    const first = await slipway(p, [
      "promote",
      "--from",
      "dev",
      "--to",
      "prod",
      "--image",
      "web",
      "--json",
    ]);
    assert.equal(first.code, 0);
    const json = JSON.parse(first.stdout) as Record<string, any>;
    assert.deepEqual(
      {
        changed: json.changed,
        updated: json.updated,
        id: json.release.id,
        images: Object.keys(json.images),
      },
      { changed: ["web"], updated: true, id: 1, images: ["web"] },
    );
    assert.equal(json.images.web.previous, digest(1));
    const again = await slipway(p, ["promote", "--from", "dev", "--to", "prod", "--image", "web"]);
    assert.deepEqual(again, {
      code: 0,
      stdout: `prod already pins what dev runs (web ${web}); nothing to promote.\nTo re-run the update anyway: slipway up --stack prod\n`,
      stderr: `checked web: ${web} is in ${p.registry.server}/acme/web (linux/amd64, linux/arm64)\n`,
    });
    assert.equal(p.driver.ups.length, 1);
  });

  it("pins without updating with --no-up, and slipway up records the release later", async () => {
    const pinned = await slipway(p, ["promote", "--from", "dev", "--to", "prod", "--no-up"]);
    assert.equal(pinned.code, 0);
    assert.equal(
      pinned.stdout,
      "pinned in Pulumi.prod.yaml (not deployed: --no-up):\n" +
        `  web: ${digest(1)} -> ${web} sha-1111111 rev 1111111aaaaa\n` +
        `  edge: ${digest(2)} -> ${edge} sha-1111111 rev 1111111aaaaa\n` +
        "next: slipway up --stack prod  # records it as a promotion from dev\n",
    );
    assert.equal(p.driver.ups.length, 0);
    assert.equal(p.exists("stacks/releases/prod.yaml"), false);
    const up = await slipway(p, ["up", "--stack", "prod"]);
    assert.deepEqual(up, {
      code: 0,
      stdout: `updated prod (version 41); recorded release #1 (promote from dev):\n  web: ${web} sha-1111111\n  edge: ${edge} sha-1111111\n`,
      stderr:
        "running pulumi up on prod…\nUpdating (prod)\nResources: 4 unchanged\n" +
        "recorded release #1 in stacks/releases/prod.yaml\n",
    });
    // The review path keeps the kind and the source: the pins say where the digests came from.
    assert.match(
      p.read("stacks/releases/prod.yaml"),
      /kind: promote\n {4}by: slipway up --stack prod\n {4}user: alice\n {4}source: dev\n/,
    );
    // Running the same update again deploys nothing new: no second entry.
    const again = await slipway(p, ["up", "--stack", "prod"]);
    assert.equal(again.code, 0);
    assert.equal(
      again.stdout,
      "updated prod (version 42); prod runs what release #1 ran; no new release to record\n",
    );
    assert.equal(p.read("stacks/releases/prod.yaml").match(/- id:/g)?.length, 1);
  });

  it("refuses to promote from a stack whose last update failed", async () => {
    p.driver.lastUpdates.dev = {
      result: "failed",
      version: 8,
      endTime: "2025-03-01T09:30:00.000Z",
    };
    const before = p.read("Pulumi.prod.yaml");
    assert.deepEqual(await slipway(p, ["promote", "--from", "dev", "--to", "prod"]), {
      code: 3,
      stdout: "",
      stderr:
        "slipway: the last update of dev (version 8, 2025-03-01T09:30:00.000Z) failed; its outputs may not be what its hosts run\n" +
        "next:\n" +
        "  pulumi up --stack dev  # fix and deploy dev first\n" +
        "  slipway promote --from dev --to prod --force  # promote its last outputs anyway\n",
    });
    assert.equal(p.read("Pulumi.prod.yaml"), before);
    const forced = await slipway(p, ["promote", "--from", "dev", "--to", "prod", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(
      forced.stderr,
      /^warning: the last update of dev \(version 8, 2025-03-01T09:30:00.000Z\) failed; promoting its last outputs anyway \(--force\)\n/,
    );
  });

  it("refuses to promote from a stack an interrupted update left with pending operations", async () => {
    p.driver.pending.dev = ["docker-build:index:Image web, interrupted while creating"];
    const before = p.read("Pulumi.prod.yaml");
    assert.deepEqual(await slipway(p, ["promote", "--from", "dev", "--to", "prod"]), {
      code: 3,
      stdout: "",
      stderr:
        "slipway: an update of dev was interrupted and left 1 operation pending (docker-build:index:Image web, interrupted while creating); its outputs may not be what its hosts run\n" +
        "next:\n" +
        "  pulumi refresh --stack dev --clear-pending-creates --yes\n" +
        "  pulumi up --stack dev  # fix and deploy dev first\n" +
        "  slipway promote --from dev --to prod --force  # promote its last outputs anyway\n",
    });
    assert.equal(p.read("Pulumi.prod.yaml"), before);
  });

  it("refuses a single-platform digest and a digest missing from the registry, naming each, in JSON too", async () => {
    const single = p.registry.pushSingle("acme/web", "linux/amd64", { tags: ["sha-2222222"] });
    const outputs = p.driver.stackOutputs.dev!.images as Record<string, Record<string, unknown>>;
    outputs.web = {
      ...outputs.web,
      digest: single,
      ref: `${p.registry.server}/acme/web@${single}`,
    };
    outputs.edge = {
      ...outputs.edge,
      digest: digest(99),
      ref: `${p.registry.server}/acme/edge@${digest(99)}`,
    };
    const before = p.read("Pulumi.prod.yaml");
    const result = await slipway(p, ["promote", "--from", "dev", "--to", "prod", "--json"]);
    const message =
      "refused; nothing was changed:\n" +
      `  web: ${p.registry.server}/acme/web@${single} is a single-platform image (linux/amd64); it lacks linux/arm64 (required: linux/amd64, linux/arm64)\n` +
      `  edge: ${p.registry.server}/acme/edge@${digest(99)} is not in the registry (never pushed, or deleted)`;
    const next = [
      "pulumi up --stack dev  # rebuild and push every configured platform",
      "slipway promote --from dev --to prod --json",
    ];
    assert.deepEqual(result, {
      code: 3,
      stdout: `${JSON.stringify({ error: { code: 3, message, next } }, null, 2)}\n`,
      stderr: `checked web: ${single} is in ${p.registry.server}/acme/web (linux/amd64)\nslipway: ${message}\nnext:\n  ${next.join("\n  ")}\n`,
    });
    assert.equal(p.read("Pulumi.prod.yaml"), before);
    assert.equal(p.driver.ups.length, 0);
  });

  it("exits 4 when the update fails, keeping the pins and recording the unhealthy digest as failed, which promote then refuses unless --force", async () => {
    const hostLine = `slipway: host web-1: release ${web} did not become healthy within 30 s, removed it, kept web-abc; last health response: HTTP/1.1 503`;
    p.driver.upError = new DriverError(
      "failed",
      "pulumi could not update prod: error: update failed",
      `Updating (prod)\n  command:remote:Command web-1-deploy creating (3s) error: ${hostLine}\nerror: update failed\n`,
    );
    const result = await slipway(p, ["promote", "--from", "dev", "--to", "prod", "--image", "web"]);
    assert.equal(result.code, 4);
    assert.equal(result.stdout, "");
    assert.ok(
      result.stderr.endsWith(
        `slipway: the update of prod failed: ${hostLine}\ncause:\n  ${hostLine}\n` +
          `Pulumi.prod.yaml keeps its pins; the ledger records ${web} as failed on prod (promote refuses it unless --force)\n` +
          "next:\n  slipway up --stack prod  # once the cause is fixed\n",
      ),
      result.stderr,
    );
    assert.match(p.read("Pulumi.prod.yaml"), new RegExp(`digest: ${web}`));
    // No release; the digest that failed its health check, who tried it and what the host said.
    assert.equal(
      p.read("stacks/releases/prod.yaml"),
      "# Release ledger of stack prod: one entry per successful update made by slipway\n" +
        "# (promote, rollback, up). Written by the CLI and reviewed in git; do not edit by hand.\n" +
        "#   slipway history --stack prod    shows it as a table\n" +
        "#   slipway rollback --stack prod   pins an earlier entry and runs the update\n" +
        "stack: prod\nreleases: []\nfailed:\n" +
        `  - digest: ${web}\n    at: 2025-03-01T10:00:00Z\n` +
        "    by: slipway promote --from dev --to prod --image web\n    user: alice\n" +
        `    reason: "${hostLine.slice("slipway: ".length)}"\n`,
    );

    // Promoting it again is refused, naming the failure; --force promotes it anyway.
    p.driver.upError = undefined;
    const again = await slipway(p, ["promote", "--from", "dev", "--to", "prod", "--image", "web"]);
    assert.equal(again.code, 3);
    assert.equal(
      again.stderr,
      `slipway: refused: image web: ${web} failed its health check on prod at 2025-03-01T10:00:00Z and was reverted (${hostLine.slice("slipway: ".length)})\n` +
        "next:\n  pulumi up --stack dev  # deploy a fixed release first\n" +
        "  slipway promote --from dev --to prod --image web --force  # promote it anyway\n",
    );
    const forced = await slipway(p, [
      "promote",
      "--from",
      "dev",
      "--to",
      "prod",
      "--image",
      "web",
      "--force",
    ]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(
      forced.stderr,
      new RegExp(
        `^warning: image web: ${web} failed its health check on prod .*; promoting it anyway \\(--force\\)\n`,
      ),
    );
  });

  it("says an interrupted update was interrupted, and how to clear a pending update", async () => {
    const controller = new AbortController();
    controller.abort();
    p.driver.upError = new DriverError(
      "unavailable",
      "pulumi could not update prod: the operation was aborted",
    );
    p.write(
      "stacks/releases/prod.yaml",
      "stack: prod\nreleases:\n" +
        `  - id: 1\n    at: 2025-02-01T00:00:00Z\n    kind: promote\n    by: slipway promote --from dev --to prod\n` +
        `    images:\n      web:\n        ref: ${p.registry.server}/acme/web@${digest(1)}\n        digest: ${digest(1)}\n` +
        "    update:\n      result: succeeded\n",
    );
    const result = await slipway(
      p,
      ["promote", "--from", "dev", "--to", "prod", "--image", "web"],
      {
        signal: controller.signal,
      },
    );
    assert.equal(result.code, 4);
    assert.ok(
      result.stderr.endsWith(
        "slipway: the update of prod was interrupted: pulumi could not update prod: the operation was aborted\n" +
          "Pulumi.prod.yaml keeps its pins; the ledger is unchanged\n" +
          "next:\n" +
          "  pulumi cancel --stack prod --yes  # only if no update of prod is running (removes the lock)\n" +
          "  slipway up --stack prod\n" +
          "  pulumi refresh --stack prod --clear-pending-creates --yes  # if it says operations are pending\n",
      ),
      result.stderr,
    );
  });

  it("records after a release another run recorded while this update waited", async () => {
    const up = p.driver.up.bind(p.driver);
    p.driver.up = async (stack, options) => {
      const outcome = await up(stack, options);
      p.write(
        "stacks/releases/prod.yaml",
        "stack: prod\nreleases:\n" +
          `  - id: 1\n    at: 2025-02-01T00:00:00Z\n    kind: up\n    by: slipway up --stack prod\n` +
          `    images:\n      web:\n        ref: ${p.registry.server}/acme/web@${digest(1)}\n        digest: ${digest(1)}\n` +
          "    update:\n      result: succeeded\n",
      );
      return outcome;
    };
    const result = await slipway(p, ["promote", "--from", "dev", "--to", "prod"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^promoted dev -> prod, release #2:\n/);
    assert.match(
      p.read("stacks/releases/prod.yaml"),
      /\n {2}- id: 2\n {4}at: 2025-03-01T10:00:00Z\n {4}kind: promote\n/,
    );
  });

  it("refuses an image the source does not export, a stack file with a merge conflict, and bad usage", async () => {
    assert.deepEqual(
      await slipway(p, ["promote", "--from", "dev", "--to", "prod", "--image", "api"]),
      {
        code: 3,
        stdout: "",
        stderr:
          'slipway: dev exports no image "api" (it exports web, edge)\nnext:\n  slipway promote --from dev --to prod --image web\n',
      },
    );
    p.write(
      "Pulumi.prod.yaml",
      p
        .read("Pulumi.prod.yaml")
        .replace(
          "        tag: sha-0000001\n",
          "<<<<<<< HEAD\n        tag: sha-0000001\n=======\n        tag: sha-0000002\n>>>>>>> main\n",
        ),
    );
    assert.deepEqual(await slipway(p, ["promote", "--from", "dev", "--to", "prod"]), {
      code: 3,
      stdout: "",
      stderr:
        'slipway: Pulumi.prod.yaml has an unresolved merge conflict (line 16: "<<<<<<< HEAD"); nothing was changed\n' +
        "next:\n  git status  # resolve the conflict in Pulumi.prod.yaml, commit, then re-run\n",
    });
    assert.deepEqual(await slipway(p, ["promote", "--from", "dev"]), {
      code: 2,
      stdout: "",
      stderr:
        "error: required option '--to <stack>' not specified\n(run slipway <command> --help for usage)\n",
    });
    assert.deepEqual(await slipway(p, ["promote", "--from", "dev", "--to", "dev"]), {
      code: 2,
      stdout: "",
      stderr: "slipway: --from and --to are both dev; promote from one stack to another\n",
    });
  });
});
