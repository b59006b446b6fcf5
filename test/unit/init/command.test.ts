import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../../src/cli/main";
import type { CliDeps } from "../../../src/cli/context";

const EDGE = `docker.io/library/caddy:2@sha256:${"c".repeat(64)}`;

describe("slipway init: the command", () => {
  let parent: string;
  let repo: string;
  let key: string;
  beforeEach(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-init-cmd-"));
    repo = path.join(parent, "whoami");
    fs.mkdirSync(repo);
    execFileSync("git", ["init", "-q"], { cwd: repo });
    fs.writeFileSync(path.join(repo, "Dockerfile"), "FROM scratch\n");
    key = path.join(parent, "id_ed25519");
    fs.writeFileSync(key, "key\n");
  });
  afterEach(() => fs.rmSync(parent, { recursive: true, force: true }));

  const flags = () => [
    "--registry",
    "127.0.0.1:5000/adopt",
    "--host",
    "root@127.0.0.1:2222",
    "--ssh-key",
    key,
    "--port",
    "80",
    "--health",
    "/health",
    "--edge-image",
    EDGE,
  ];

  async function init(argv: readonly string[], overrides: Partial<CliDeps> = {}) {
    let stdout = "";
    let stderr = "";
    const code = await main(["init", ...argv], {
      root: repo,
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      ...overrides,
    });
    return { code, stdout, stderr };
  }

  const written = () =>
    execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], {
      cwd: repo,
      encoding: "utf8",
    });

  it("writes the project's files and prints the next steps", async () => {
    const run = await init([...flags(), "--yes"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      written(),
      [
        "?? .github/workflows/slipway-dev.yml",
        "?? .github/workflows/slipway-preview.yml",
        "?? .github/workflows/slipway-promote.yml",
        "?? .gitignore",
        "?? Dockerfile",
        "?? Pulumi.dev.yaml",
        "?? Pulumi.prod.yaml",
        "?? Pulumi.yaml",
        "",
      ].join("\n"),
    );
    assert.equal(
      run.stderr,
      [
        "wrote Pulumi.yaml",
        "wrote Pulumi.dev.yaml",
        "wrote Pulumi.prod.yaml",
        "wrote .github/workflows/slipway-preview.yml",
        "wrote .github/workflows/slipway-dev.yml",
        "wrote .github/workflows/slipway-promote.yml",
        "wrote .gitignore",
        "",
      ].join("\n"),
    );
    assert.match(run.stdout, /^\nnext:\n {2}pulumi login/);
    assert.match(
      fs.readFileSync(path.join(repo, "Pulumi.dev.yaml"), "utf8"),
      new RegExp(`privateKeyFile: ${key}\n`),
    );
  });

  it("refuses to replace files that exist, naming them; --force replaces them", async () => {
    fs.writeFileSync(path.join(repo, "Pulumi.yaml"), "name: mine\n");
    const run = await init([...flags(), "--yes"]);
    assert.deepEqual(run, {
      code: 3,
      stdout: "",
      stderr:
        "slipway: not replacing Pulumi.yaml: it exists; nothing was written (--force replaces them)\n",
    });
    assert.equal(written(), "?? Dockerfile\n?? Pulumi.yaml\n");
    assert.equal((await init([...flags(), "--yes", "--force"])).code, 0);
    assert.match(fs.readFileSync(path.join(repo, "Pulumi.yaml"), "utf8"), /^name: whoami\n/);
  });

  it("--dry-run prints the files and writes nothing", async () => {
    const run = await init([...flags(), "--yes", "--dry-run"]);
    assert.equal(run.code, 0);
    assert.equal(written(), "?? Dockerfile\n");
    assert.match(run.stdout, /^--- Pulumi.yaml \(would write\)\nname: whoami\n/);
    assert.match(run.stdout, /\n--- \.gitignore \(would write\)\n# Slipway \(slipway init\)\n/);
    assert.match(run.stdout, /\nthen:\n {2}pulumi login/);
  });

  it("refuses outside a git repository, and without a Dockerfile: exit 2, nothing written", async () => {
    fs.rmSync(path.join(repo, ".git"), { recursive: true });
    assert.deepEqual(await init([...flags(), "--yes"]), {
      code: 2,
      stdout: "",
      stderr: `slipway: ${repo} is not inside a git repository: run git init there first, or pass --root <your repository>\n`,
    });
    execFileSync("git", ["init", "-q"], { cwd: repo });
    fs.rmSync(path.join(repo, "Dockerfile"));
    assert.deepEqual(await init([...flags(), "--yes"]), {
      code: 2,
      stdout: "",
      stderr: `slipway: no Dockerfile in ${repo}: add your service's Dockerfile (or pass --root <the folder that has it>), then run slipway init again\n`,
    });
    assert.equal(written(), "");
  });

  it("refuses a malformed flag in one line, exit 2, nothing written", async () => {
    const argv = flags();
    argv[argv.indexOf("--port") + 1] = "eighty";
    assert.deepEqual(await init([...argv, "--yes"]), {
      code: 2,
      stdout: "",
      stderr:
        'slipway: --port "eighty": expected the port your container listens on: a whole number from 1 to 65535\n',
    });
    assert.equal(written(), "?? Dockerfile\n");
  });

  it("asks at a terminal only for what the flags did not give", async () => {
    const asked: string[] = [];
    const answers: Record<string, string> = { port: "80", health: "/health", domain: "" };
    const argv = flags().filter(
      (_, index, all) =>
        !["--port", "--health"].includes(all[index - 1] ?? "") &&
        !["--port", "--health"].includes(all[index]!),
    );
    const run = await init(argv, {
      ask: (question) => {
        asked.push(question);
        return Promise.resolve(answers[question.split(" ")[0]!] ?? "");
      },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(asked, [
      "port (the port your container listens on, e.g. 8080): ",
      "health (the path that answers 200 when the service is healthy, e.g. /health): ",
      "domain (the public name of the service, e.g. app.example.com (optional)): ",
    ]);
  });

  it("never asks with --yes: a missing flag is refused", async () => {
    const run = await init(["--yes"], {
      ask: () => assert.fail("asked despite --yes"),
    });
    assert.deepEqual(run, {
      code: 2,
      stdout: "",
      stderr:
        "slipway: --registry is missing: pass --registry <server>/<namespace>, e.g. ghcr.io/acme, or run slipway init in a terminal to be asked\n",
    });
  });
});
