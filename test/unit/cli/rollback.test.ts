import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { heldScript } from "../../../src/cli/held-on-hosts";
import { warmSwitchScript } from "../../../src/deploy";
import { DriverError } from "../../../src/cli";
import { appendRelease, type NewRelease } from "../../../src/ledger";
import { DEV, digest, PROD, project, slipway, type Project } from "./harness";

describe("slipway rollback and history", () => {
  let p: Project;
  const d: string[] = [];

  /** A promote of web at d[n] (edge stays at digest(2)). */
  function promoted(n: number, at: string): NewRelease {
    const server = p.registry.server;
    return {
      at,
      kind: "promote",
      by: "slipway promote --from dev --to prod",
      user: "bob",
      source: "dev",
      images: {
        web: {
          ref: `${server}/acme/web@${d[n]!}`,
          digest: d[n]!,
          tag: `sha-${n}${n}${n}${n}${n}${n}${n}`,
          revision: `${n}`.repeat(40),
        },
        edge: { ref: `${server}/acme/edge@${digest(2)}`, digest: digest(2) },
      },
      update: { result: "succeeded", version: 10 + n, seconds: 30 },
    };
  }

  beforeEach(async () => {
    p = await project({ "Pulumi.dev.yaml": DEV, "Pulumi.prod.yaml": PROD });
    d.length = 0;
    for (let n = 0; n <= 3; n += 1) {
      d.push(
        p.registry.pushIndex("acme/web", ["linux/amd64", "linux/arm64"], { content: `web ${n}` }),
      );
    }
    p.registry.pushIndex("acme/edge", ["linux/amd64"], { content: "edge" });
    let text: string | undefined;
    for (const [n, at] of [
      [1, "2025-02-01T10:00:00Z"],
      [2, "2025-02-08T10:00:00Z"],
      [3, "2025-02-15T10:00:00Z"],
    ] as const) {
      text = appendRelease(text, "prod", promoted(n, at)).text;
    }
    p.write("stacks/releases/prod.yaml", text!);
    p.write(
      "Pulumi.prod.yaml",
      p
        .read("Pulumi.prod.yaml")
        .replace(
          `digest: ${digest(1)}\n        tag: sha-0000001\n`,
          `digest: ${d[3]!}\n        tag: sha-3333333\n        revision: "${"3".repeat(40)}"\n`,
        )
        // The pin path first: no warm release (the instant switch has its own tests below).
        .replace("          tls: true\n", `          tls: true\n      ${NO_WINDOW}`),
    );
  });
  afterEach(async () => p.close());

  const NO_WINDOW = "rollbackWindowSeconds: 0\n";

  /** The instant switch script `slipway rollback` runs on `host` for prod's web. */
  function switchScript(host: string, to: string): string {
    return warmSwitchScript({
      host,
      stack: "prod",
      service: "web",
      stateRoot: "/var/lib/slipway",
      edge: "slipway-edge",
      containerPort: 8080,
      healthPath: "/healthz",
      routes: [{ host: "web.example.com", tls: true }],
      drainSeconds: 1,
      rollbackWindowSeconds: 600,
      digest: to,
    });
  }

  it("stops a canary walking on a host, then waits for the stack lock its failing update holds", async () => {
    p.write("Pulumi.prod.yaml", p.read("Pulumi.prod.yaml").replace(`      ${NO_WINDOW}`, ""));
    p.hosts.answers["web-1"] = { kind: "ran", stdout: "canary-stopped\nswitched web-2-release\n" };
    p.hosts.answers["web-2"] = { kind: "ran", stdout: "fallback no warm release\n" };
    p.driver.upError = new DriverError("locked", "the stack is currently locked by 1 lock(s)");
    const result = await slipway(p, ["rollback", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(
      result.stderr.includes(
        "web on web-1: stopped the canary walking there; every request went back to the release that served before it",
      ),
      result.stderr,
    );
    assert.ok(result.stderr.includes("prod is locked by another update; trying again in 2 s"));
    assert.equal(p.driver.ups.length, 2, "refused once (locked), then the update ran");
  });

  it("switches each host whose warm release is the one restored first, then pins and updates; a host that cannot says why", async () => {
    p.write("Pulumi.prod.yaml", p.read("Pulumi.prod.yaml").replace(`      ${NO_WINDOW}`, ""));
    p.hosts.answers["web-1"] = { kind: "ran", stdout: "switched web-2-release\n" };
    p.hosts.answers["web-2"] = {
      kind: "ran",
      stdout: "fallback the warm container web-2-release is gone\n",
    };
    // The Automation API's load (prepare) holds the process: both switches start before it.
    let runsWhenPrepared: number | undefined;
    Object.assign(p.driver, { prepare: () => (runsWhenPrepared = p.hosts.runs.length) });
    const result = await slipway(p, ["rollback", "--stack", "prod", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(runsWhenPrepared, 2);
    assert.deepEqual(result.stderr.split("\n").slice(0, 4), [
      "rolling prod back to release #2 (promote from dev, 2025-02-08T10:00:00Z)",
      `web on web-1: the edge serves ${d[2]!.slice(0, 19)} again (warm release web-2-release)`,
      `web on web-2: no instant switch (the warm container web-2-release is gone); the update deploys ${d[2]!.slice(0, 19)} the normal way`,
      `checked web: ${d[2]!} is in ${p.registry.server}/acme/web (linux/amd64, linux/arm64)`,
    ]);
    // Before the pin and the update: the switch scripts, nothing else.
    assert.deepEqual(p.hosts.runs, [
      { host: "web-1", script: switchScript("web-1", d[2]!) },
      { host: "web-2", script: switchScript("web-2", d[2]!) },
    ]);
    const json = JSON.parse(result.stdout) as { warm: unknown; recorded: boolean };
    assert.deepEqual(json.warm, [
      { instance: "web", host: "web-1", switched: true, detail: "web-2-release" },
      {
        instance: "web",
        host: "web-2",
        switched: false,
        detail: "the warm container web-2-release is gone",
      },
    ]);
    assert.equal(json.recorded, true);
  });

  it("names the hosts that already switched when the registry then refuses the rollback", async () => {
    p.write("Pulumi.prod.yaml", p.read("Pulumi.prod.yaml").replace(`      ${NO_WINDOW}`, ""));
    p.hosts.answers["web-1"] = { kind: "ran", stdout: "switched web-2-release\n" };
    p.hosts.answers["web-2"] = {
      kind: "ran",
      stdout: "fallback the warm container web-2-release is gone\n",
    };
    await fetch(`http://${p.registry.server}/v2/acme/web/manifests/${d[2]!}`, {
      method: "DELETE",
      headers: { Authorization: "Bearer token-for:repository:acme/web:delete" },
    });
    const before = p.read("Pulumi.prod.yaml");
    const result = await slipway(p, ["rollback", "--stack", "prod"]);
    assert.equal(result.code, 3);
    assert.deepEqual(result.stderr.split("\n").slice(3), [
      `slipway: refused:`,
      `  web: ${p.registry.server}/acme/web@${d[2]!} is not in the registry (never pushed, or deleted)`,
      "The stack file was not changed, but web on web-1 already serves release #2 (switched to the warm release); the update did not run.",
      "next:",
      "  slipway repair --stack prod  # back to the pinned release",
      "  slipway history --stack prod  # pick a release whose digests still exist",
      "  slipway rollback --stack prod --to <digest of release #1 or earlier>",
      "",
    ]);
    assert.equal(p.read("Pulumi.prod.yaml"), before);
  });

  it("switches nothing with --no-up (nothing is deployed; a window of 0: the tests above)", async () => {
    p.write("Pulumi.prod.yaml", p.read("Pulumi.prod.yaml").replace(`      ${NO_WINDOW}`, ""));
    assert.equal((await slipway(p, ["rollback", "--stack", "prod", "--no-up"])).code, 0);
    assert.deepEqual(p.hosts.runs, []);
  });

  it("history prints the ledger as a table and marks what the hosts run, not what the file pins", async () => {
    const short = (value: string) => value.slice(0, 19);
    // The file pins release 3, but the hosts still run release 2 (its update failed).
    p.driver.stackOutputs.prod = {
      services: { web: { name: "web", image: "web", routes: [], healthPath: "/healthz" } },
      deployed: {
        web: {
          "web-1": `${p.registry.server}/acme/web@${d[2]!}`,
          "web-2": `${p.registry.server}/acme/web@${d[2]!}`,
        },
      },
    };
    const result = await slipway(p, ["history", "--stack", "prod"]);
    assert.deepEqual(result, {
      code: 0,
      stderr: "",
      stdout:
        "#   AT                    KIND              IMAGE  DIGEST               TAG          REVISION  UPDATE  USER\n" +
        `1   2025-02-01T10:00:00Z  promote from dev  web    ${short(d[1]!)}  sha-1111111  1111111   v11     bob\n` +
        `                                            edge   ${short(digest(2))}\n` +
        `2*  2025-02-08T10:00:00Z  promote from dev  web    ${short(d[2]!)}  sha-2222222  2222222   v12     bob\n` +
        `                                            edge   ${short(digest(2))}\n` +
        `3   2025-02-15T10:00:00Z  promote from dev  web    ${short(d[3]!)}  sha-3333333  3333333   v13     bob\n` +
        `                                            edge   ${short(digest(2))}\n` +
        "* what the hosts run: #2 on web-1, web-2\n",
    });
    const json = JSON.parse(
      (await slipway(p, ["history", "--stack", "prod", "--json"])).stdout,
    ) as Record<string, any>;
    assert.deepEqual(json.running, { "web-1": 2, "web-2": 2 });
    assert.deepEqual(
      (json.releases as { id: number }[]).map((release) => release.id),
      [1, 2, 3],
    );
  });

  it("history marks nothing, and says why, when what the hosts run is not known", async () => {
    const result = await slipway(p, ["history"], {});
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "slipway: no --stack given and no stack is selected\nnext:\n  pulumi stack select <stack>  # or pass --stack <stack>\n",
    );
    p.driver.selected = "prod";
    const selected = await slipway(p, ["history"]);
    assert.equal(selected.code, 0);
    assert.match(selected.stdout, /\n3 {2}2025-02-15T10:00:00Z/);
    assert.match(
      selected.stdout,
      /what the hosts run is not known \(stack prod does not exist on the current Pulumi backend\); no release is marked\n$/,
    );
  });

  it("rolls back one release: checks the registry, pins, updates and records a rollback", async () => {
    const result = await slipway(p, ["rollback", "--stack", "prod"]);
    assert.deepEqual(result, {
      code: 0,
      stdout:
        "rolled prod back to release #2; recorded as release #4:\n" +
        `  web: ${d[3]!} -> ${d[2]!} sha-2222222\n`,
      stderr:
        "rolling prod back to release #2 (promote from dev, 2025-02-08T10:00:00Z)\n" +
        `checked web: ${d[2]!} is in ${p.registry.server}/acme/web (linux/amd64, linux/arm64)\n` +
        `pinned web ${d[2]!} (sha-2222222) in Pulumi.prod.yaml\n` +
        "running pulumi up on prod…\nUpdating (prod)\nResources: 4 unchanged\n" +
        "recorded release #4 in stacks/releases/prod.yaml\n",
    });
    assert.match(
      p.read("Pulumi.prod.yaml"),
      new RegExp(
        `# Pinned by \`slipway promote\`; do not edit by hand.\n {8}digest: ${d[2]!}\n {8}tag: sha-2222222\n {8}revision: "${"2".repeat(40)}"\n`,
      ),
    );
    assert.match(
      p.read("stacks/releases/prod.yaml"),
      /- id: 4\n {4}at: 2025-03-01T10:00:00Z\n {4}kind: rollback\n {4}by: slipway rollback --stack prod\n {4}user: alice\n {4}restores: 2\n/,
    );
    const twice = await slipway(p, ["rollback", "--stack", "prod", "--no-up"]);
    assert.equal(twice.code, 0);
    assert.match(
      twice.stdout,
      new RegExp(
        `^pinned release #3 in Pulumi.prod.yaml \\(not deployed: --no-up\\):\n  web: ${d[2]!} -> ${d[3]!} sha-3333333\n`,
      ),
    );
  });

  it("rolls back to a digest, and refuses one the registry no longer has", async () => {
    const to = await slipway(p, ["rollback", "--stack", "prod", "--to", d[1]!, "--json"]);
    assert.equal(to.code, 0);
    const json = JSON.parse(to.stdout) as Record<string, any>;
    assert.deepEqual(
      { restores: json.restores, images: Object.keys(json.images), id: json.release.id },
      {
        restores: 1,
        images: ["web"],
        id: 4,
      },
    );

    const gone = d[2]!;
    await fetch(`http://${p.registry.server}/v2/acme/web/manifests/${gone}`, {
      method: "DELETE",
      headers: { Authorization: "Bearer token-for:repository:acme/web:delete" },
    });
    const before = p.read("Pulumi.prod.yaml");
    assert.deepEqual(await slipway(p, ["rollback", "--stack", "prod", "--to", gone]), {
      code: 3,
      stdout: "",
      stderr:
        "rolling prod back to release #2 (promote from dev, 2025-02-08T10:00:00Z)\n" +
        `slipway: refused; nothing was changed:\n  web: ${p.registry.server}/acme/web@${gone} is not in the registry (never pushed, or deleted)\n` +
        "next:\n" +
        "  slipway history --stack prod  # pick a release whose digests still exist\n" +
        "  slipway rollback --stack prod --to <digest of release #1 or earlier>\n",
    });
    assert.equal(p.read("Pulumi.prod.yaml"), before);
  });

  it("rolls back with the registry down when every host still holds the digest, and says so in the pin", async () => {
    const server = p.registry.server;
    const ref = `${server}/acme/web@${d[2]!}`;
    await p.registry.stop();
    for (const host of ["web-1", "web-2"]) {
      p.hosts.answers[host] = { kind: "ran", stdout: `present ${ref}\n` };
    }
    const result = await slipway(p, ["rollback", "--stack", "prod"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(p.hosts.runs, [
      { host: "web-1", script: heldScript([ref]) },
      { host: "web-2", script: heldScript([ref]) },
    ]);
    assert.equal(
      result.stderr.split("\n")[1],
      `the registry is unreachable, but every host that runs web still holds ${d[2]!} (web-1, web-2): rolling back without a pull`,
    );
    assert.match(
      p.read("Pulumi.prod.yaml"),
      new RegExp(
        `\n {8}digest: ${d[2]!}\n {8}tag: sha-2222222\n {8}revision: "${"2".repeat(40)}"\n {8}restores: 2\n {8}checkedOn: hosts\n`,
      ),
    );
    assert.match(p.read("stacks/releases/prod.yaml"), /- id: 4\n.*\n {4}kind: rollback\n/);
  });

  it("refuses a rollback with the registry down when a host lacks the digest; nothing changes", async () => {
    const server = p.registry.server;
    const ref = `${server}/acme/web@${d[2]!}`;
    await p.registry.stop();
    p.hosts.answers["web-1"] = { kind: "ran", stdout: `present ${ref}\n` };
    p.hosts.answers["web-2"] = { kind: "ran", stdout: `absent ${ref}\n` };
    const before = p.read("Pulumi.prod.yaml");
    const result = await slipway(p, ["rollback", "--stack", "prod"]);
    assert.equal(result.code, 6, result.stderr);
    const lines = result.stderr.split("\n");
    assert.equal(lines[1], "slipway: could not check the registry; nothing was changed:");
    assert.match(
      lines[2]!,
      new RegExp(`^  web: cannot reach registry ${server.replace(".", "\\.")}`),
    );
    assert.equal(lines[3], `  web: host web-2 does not hold it (${ref}), so it would pull`);
    assert.equal(p.read("Pulumi.prod.yaml"), before);
    assert.deepEqual(p.driver.ups, []);
  });

  it("heldScript asks docker for each image by digest, one answer line each", () => {
    const ref = `127.0.0.1:5000/acme/web@${digest(7)}`;
    assert.equal(
      heldScript([ref]),
      `if docker image inspect ${ref} >/dev/null 2>&1; then echo present ${ref}; else echo absent ${ref}; fi\n`,
    );
  });

  it("refuses a rollback with nothing to go back to, and bad arguments", async () => {
    assert.deepEqual(await slipway(p, ["rollback", "--stack", "prod", "--steps", "9"]), {
      code: 3,
      stdout: "",
      stderr:
        "slipway: the ledger of prod has 2 earlier releases, fewer than --steps 9\nnext:\n  slipway history --stack prod\n",
    });
    assert.deepEqual(
      await slipway(p, ["rollback", "--stack", "prod", "--steps", "1", "--to", d[1]!]),
      {
        code: 2,
        stdout: "",
        stderr:
          "error: option '--to <digest>' cannot be used with option '--steps <n>'\n(run slipway <command> --help for usage)\n",
      },
    );
    assert.deepEqual(await slipway(p, ["rollback", "--stack", "Prod!"]), {
      code: 2,
      stdout: "",
      stderr:
        "error: option '--stack <stack>' argument 'Prod!' is invalid. expected a stack name (letters, digits, _ . -)\n" +
        "(run slipway <command> --help for usage)\n",
    });
  });

  it("refuses a build stack's rollback outside a git checkout, and a stack whose config is invalid", async () => {
    const server = p.registry.server;
    p.write(
      "stacks/releases/dev.yaml",
      appendRelease(
        appendRelease(undefined, "dev", { ...promoted(1, "2025-02-01T10:00:00Z"), kind: "up" })
          .text,
        "dev",
        {
          ...promoted(2, "2025-02-02T10:00:00Z"),
          kind: "up",
        },
      ).text,
    );
    assert.ok(p.read("stacks/releases/dev.yaml").includes(`${server}/acme/web@`));
    // A build stack's rollback pin records the commit the build came from: git is needed.
    const outside = await slipway(p, ["rollback", "--stack", "dev"]);
    assert.equal(outside.code, 3);
    assert.match(
      outside.stderr,
      /^slipway: dev builds web: its rollback pin records the commit the build came from, and \/.* is not a git checkout with a commit;/,
    );
    assert.equal(p.read("Pulumi.dev.yaml").includes("pin:"), false);
    p.write(
      "Pulumi.dev.yaml",
      p.read("Pulumi.dev.yaml").replace("- linux/arm64\n    edge", "- linux/s390x\n    edge"),
    );
    assert.deepEqual(await slipway(p, ["retention", "--stack", "dev", "--keep", "3"]), {
      code: 3,
      stdout: "",
      stderr:
        'slipway: config of stack "dev" has 1 problem; nothing was changed:\n' +
        '  slipway:images.web.build.platforms[1]: "linux/s390x" is not one of linux/amd64, linux/arm64\n' +
        "next:\n  slipway retention --stack dev --keep 3  # once Pulumi.dev.yaml is fixed as listed above\n",
    });
  });

  it("rolls back a build stack: pins the earlier digest beside the build, and --unpin ends it", async () => {
    const server = p.registry.server;
    p.write(
      "stacks/releases/dev.yaml",
      appendRelease(
        appendRelease(undefined, "dev", { ...promoted(1, "2025-02-01T10:00:00Z"), kind: "up" })
          .text,
        "dev",
        { ...promoted(2, "2025-02-02T10:00:00Z"), kind: "up" },
      ).text,
    );
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", ...args], {
        cwd: p.root,
        encoding: "utf8",
      }).trim();
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-qm", "one");
    const head = git("rev-parse", "HEAD");
    const before = p.read("Pulumi.dev.yaml");
    const rolled = await slipway(p, ["rollback", "--stack", "dev"]);
    assert.deepEqual(rolled, {
      code: 0,
      stdout:
        "rolled dev back to release #1; recorded as release #3:\n" +
        `  web: ${d[2]!} -> ${d[1]!} sha-1111111\n` +
        "web stays pinned until a commit changes it (the next build release) or: slipway rollback --stack dev --unpin\n",
      stderr:
        "rolling dev back to release #1 (up from dev, 2025-02-01T10:00:00Z)\n" +
        `checked web: ${d[1]!} is in ${server}/acme/web (linux/amd64, linux/arm64)\n` +
        `pinned web ${d[1]!} (sha-1111111) in Pulumi.dev.yaml\n` +
        "running pulumi up on dev…\nUpdating (dev)\nResources: 4 unchanged\n" +
        "recorded release #3 in stacks/releases/dev.yaml\n",
    });
    assert.ok(
      p
        .read("Pulumi.dev.yaml")
        .includes(
          `          - linux/arm64\n      pin:\n        digest: ${d[1]!}\n        tag: sha-1111111\n        revision: "${"1".repeat(40)}"\n        restores: 1\n        pinnedAt: ${head}\n    edge:\n`,
        ),
      p.read("Pulumi.dev.yaml"),
    );
    // A second rollback goes back from what the pin runs, like on any stack.
    const again = await slipway(p, ["rollback", "--stack", "dev", "--no-up"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      new RegExp(
        `^pinned release #2 in Pulumi.dev.yaml \\(not deployed: --no-up\\):\n  web: ${d[1]!} -> ${d[2]!} sha-2222222\n`,
      ),
    );
    assert.deepEqual(
      await slipway(p, ["rollback", "--stack", "dev", "--unpin", "--image", "edge"]),
      {
        code: 3,
        stdout: "",
        stderr: "slipway: dev has no rollback pin on edge; rollback pins: web\n",
      },
    );
    const unpinned = await slipway(p, ["rollback", "--stack", "dev", "--unpin", "--no-up"]);
    assert.deepEqual(unpinned, {
      code: 0,
      stdout:
        "unpinned web in Pulumi.dev.yaml (not deployed: --no-up)\nnext: slipway up --stack dev\n",
      stderr: "unpinned web in Pulumi.dev.yaml: built from the checkout again\n",
    });
    assert.equal(p.read("Pulumi.dev.yaml"), before);
  });

  it("refuses a ledger that two branches appended to", async () => {
    const text = p.read("stacks/releases/prod.yaml");
    p.write("stacks/releases/prod.yaml", text + text.slice(text.indexOf("  - id: 3")));
    assert.deepEqual(await slipway(p, ["history", "--stack", "prod"]), {
      code: 3,
      stdout: "",
      stderr:
        "slipway: stacks/releases/prod.yaml: releases[3] has id 3, expected 4; two edits of the ledger were merged (ids must count up from 1 in order)\n" +
        "next:\n  git log -p -- stacks/releases/prod.yaml  # renumber the merged entries in time order, commit, then re-run\n",
    });
  });
});
