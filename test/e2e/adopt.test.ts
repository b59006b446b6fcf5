/**
 * Slipway adopted by a repository of its own, as docs/adopting.md walks it: a fresh git
 * repository holding an outside HTTP service (busybox httpd serving its own pages, not this
 * repository's samples) installs the tarball `npm pack` makes of Slipway, runs `slipway init`,
 * and `pulumi up` deploys it over SSH to this machine behind the edge. A new commit releases;
 * `slipway promote` to the promote stack init wrote, then `slipway rollback` there, return to
 * the first digest; `slipway status` is in sync; the repository holds none of Slipway's source.
 *
 * Everything is offline: the edge image is built from examples/edge/ (Caddy, as the local
 * stacks do), the service's busybox is the one scripts/fetch-busybox.sh fetched, npm installs
 * from its cache, asking the registry only for what the cache lacks (on a fresh machine the
 * project's `npm ci` cached the packages but not the documents a version range is resolved
 * from, so `--offline` failed with ENOTCACHED there). The stacks get what this machine needs beside init's defaults (the buildx
 * builder, the local trivy database, an edge of its own on loopback ports), each with
 * `pulumi config set`, as a person would.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { request } from "../helpers/load";
import {
  APP_DIR,
  REPO_ROOT,
  SLIPWAY_HOME,
  SSH,
  containerNames,
  ensureBusybox,
  pulumiDestroy,
  run,
  runOk,
  useServices,
  type RunResult,
} from "../helpers/services";
import { timings } from "../helpers/timings";
import { engineEnv } from "../helpers/twin";
import { buildAndPush } from "../integration/deploy-fixture";

// Below the kernel's ephemeral range (32768–60999): a client socket of another test had taken
// 38443 as its local port once, and the edge's holder could not bind it.
const HTTP_PORT = 27080;
const HTTPS_PORT = 27443;
const NAMESPACE = "slipway-adopt";
const EDGE = "adopt-edge";
/** The repository's folder: init names the image (and the services) after it. */
const NAME = "hello-httpd";
const DEV_HOST = `${NAME}.dev.localhost`;
const PROD_HOST = `${NAME}.localhost`;

const DOCKERFILE = `# busybox httpd serving www/ (no base image: nothing can be pulled here).
FROM scratch
COPY bin/busybox /bin/busybox
COPY www/ /www/
EXPOSE 8080
ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
`;

const steps = timings();
const timed = steps.timed.bind(steps);

describe("a repository of its own adopts Slipway from the packed tarball", function () {
  this.timeout(1_800_000);
  useServices(["docker", "registry", "sshd", "buildkitd"]);

  let work: string;
  let repo: string;
  let env: Record<string, string>;
  let edgeImage: string;
  let firstDigest: string;
  const deployed: string[] = [];

  /** `bash -c SCRIPT` in the repository with the engine environment; fails on a non-zero exit. */
  async function sh(script: string): Promise<RunResult> {
    const result = await run("bash", ["-c", script], {
      cwd: repo,
      env: { ...process.env, ...env },
      timeoutMs: 900_000,
    });
    assert.equal(result.code, 0, `${script}\n${result.stdout}\n${result.stderr}`);
    return result;
  }

  /** The body the edge answers for `host` at `/`. */
  async function served(host: string): Promise<string> {
    const answer = await request(HTTP_PORT, "/", { host });
    assert.equal(answer.status, 200, `GET ${host}/: ${answer.body}`);
    return answer.body.trim();
  }

  /** What prod pins for the image: digest and the commit it was built from. */
  function prodPin(): { digest: string; revision: string; tag: string } {
    const stack = parse(fs.readFileSync(path.join(repo, "Pulumi.prod.yaml"), "utf8")) as {
      config: {
        "slipway:images": Record<
          string,
          { pin: { digest: string; revision: string; tag: string } }
        >;
      };
    };
    const pin = stack.config["slipway:images"][NAME]!.pin;
    assert.match(pin.digest, /^sha256:[0-9a-f]{64}$/);
    return pin;
  }

  const destroy = (stack: string) => pulumiDestroy(stack, repo, env);

  function release(text: string): void {
    fs.writeFileSync(path.join(repo, "www", "index.html"), `${text}\n`);
  }

  before(async () => {
    await ensureBusybox();
    await runOk(path.join(REPO_ROOT, "scripts", "fetch-edge.sh"), [], { timeoutMs: 300_000 });
    edgeImage = (await buildAndPush(`${NAMESPACE}/edge`, "1", "examples/edge", {})).ref;
    work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-adopt-"));
    repo = path.join(work, NAME);
    env = {
      ...engineEnv(path.join(work, "backend")),
      COSIGN_PASSWORD: "",
      // Commits need an identity, also where git has none configured (CI).
      GIT_AUTHOR_NAME: "adopter",
      GIT_AUTHOR_EMAIL: "adopter@slipway.invalid",
      GIT_COMMITTER_NAME: "adopter",
      GIT_COMMITTER_EMAIL: "adopter@slipway.invalid",
    };
    fs.mkdirSync(path.join(work, "backend"));
    // The outside service: its own pages, a vendored static busybox, its own Dockerfile.
    fs.mkdirSync(path.join(repo, "www"), { recursive: true });
    fs.mkdirSync(path.join(repo, "bin"));
    fs.copyFileSync(
      path.join(APP_DIR, "bin", "amd64", "busybox"),
      path.join(repo, "bin", "busybox"),
    );
    fs.chmodSync(path.join(repo, "bin", "busybox"), 0o755);
    fs.writeFileSync(path.join(repo, "Dockerfile"), DOCKERFILE);
    fs.writeFileSync(path.join(repo, "www", "healthz"), "ok\n");
    release("hello r1");
    await sh("git init -q -b main && git add -A && git commit -q -m 'hello r1'");
  });

  after(async () => {
    if (work === undefined) {
      return;
    }
    // Best effort when a test failed half-way; the last test checks destroy itself.
    for (const stack of deployed.reverse()) {
      await destroy(stack);
    }
    if (process.env.SLIPWAY_KEEP_WORK === undefined) {
      fs.rmSync(work, { recursive: true, force: true });
    }
    steps.print();
  });

  it("installs the packed tarball and slipway init writes the project", async () => {
    const packed = await timed("npm pack (prepare builds dist/)", () =>
      runOk("npm", ["pack", "--silent", "--pack-destination", work], {
        cwd: REPO_ROOT,
        timeoutMs: 300_000,
      }),
    );
    const tarball = path.join(work, packed.stdout.trim().split("\n").pop()!);
    await timed("npm install of the tarball (from the cache first)", () =>
      sh(`npm init -y >/dev/null && npm install --prefer-offline --no-audit --no-fund ${tarball}`),
    );
    const init = await sh(
      `npx slipway init --registry 127.0.0.1:5000/${NAMESPACE} --host root@127.0.0.1:2222 ` +
        `--ssh-key ${SSH.keyPath} --port 8080 --health /healthz --edge-image ${edgeImage} --yes`,
    );
    assert.match(init.stderr, /^wrote Pulumi\.yaml$/m);
    assert.match(init.stdout, /^ {2}pulumi stack init dev && pulumi stack init prod$/m);
    assert.deepEqual(fs.readFileSync(path.join(repo, ".gitignore"), "utf8").split("\n"), [
      "# Slipway (slipway init)",
      "node_modules/",
      "cosign.key",
      "",
    ]);
    const dev = parse(fs.readFileSync(path.join(repo, "Pulumi.dev.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    assert.deepEqual(dev.config["slipway:images"], {
      [NAME]: { build: { context: ".", platforms: ["linux/amd64"] } },
    });
    assert.deepEqual(dev.config["slipway:edge"], { image: edgeImage });
  });

  it("pulumi up deploys the first commit over SSH behind the edge", async () => {
    // The steps init printed (a cosign key without a password), then this machine's settings.
    await sh(
      [
        "pulumi stack init dev && pulumi stack init prod",
        "cosign generate-key-pair >/dev/null 2>&1",
        "pulumi config set --stack dev --secret --path 'slipway:attestations.cosignKey' < cosign.key",
        "pulumi config set --stack prod --path 'slipway:verify.publicKey' < cosign.pub",
        "pulumi config set --stack dev slipway:builder slipway",
        "pulumi config set --stack dev --path slipway:scan.offline true",
        `pulumi config set --stack dev --path slipway:scan.cacheDir ${SLIPWAY_HOME}/trivy`,
        `pulumi config set --stack dev --path slipway:edge.name ${EDGE}`,
        "pulumi config set --stack dev --path slipway:edge.bind 127.0.0.1",
        `pulumi config set --stack dev --path slipway:edge.httpPort ${HTTP_PORT}`,
        `pulumi config set --stack dev --path slipway:edge.httpsPort ${HTTPS_PORT}`,
        "pulumi config set --stack dev --path slipway:edge.tls internal",
        `pulumi config set --stack prod --path slipway:edge.name ${EDGE}`,
        "git add -A && git commit -q -m 'Slipway: init'",
      ].join(" && "),
    );
    deployed.push("dev");
    await timed("pulumi up dev (first release)", () =>
      sh("pulumi up --stack dev --yes --skip-preview --non-interactive"),
    );
    await sh("npx slipway record --stack dev");
    assert.equal(await served(DEV_HOST), "hello r1");
  });

  it("promotes the first digest to prod, releases a new commit, promotes it, rolls back", async () => {
    deployed.push("prod");
    await timed("slipway promote dev -> prod (r1)", () =>
      sh("npx slipway promote --from dev --to prod"),
    );
    const first = prodPin();
    firstDigest = first.digest;
    // Built from the committed tree: the tag names the commit, not a dirty one.
    const head = (await sh("git rev-parse HEAD")).stdout.trim();
    assert.equal(first.revision, head);
    assert.equal(first.tag, `sha-${head.slice(0, 7)}`);
    assert.equal(await served(PROD_HOST), "hello r1");

    release("hello r2");
    await sh("git commit -q -am 'hello r2'");
    await timed("slipway up dev (r2)", () => sh("npx slipway up --stack dev"));
    assert.equal(await served(DEV_HOST), "hello r2");
    await timed("slipway promote dev -> prod (r2)", () =>
      sh("npx slipway promote --from dev --to prod"),
    );
    assert.notEqual(prodPin().digest, firstDigest);
    assert.equal(await served(PROD_HOST), "hello r2");

    await timed("slipway rollback prod", () => sh("npx slipway rollback --stack prod"));
    assert.equal(prodPin().digest, firstDigest);
    assert.equal(await served(PROD_HOST), "hello r1");
    assert.equal(await served(DEV_HOST), "hello r2");
  });

  it("slipway status is in sync on both stacks", async () => {
    for (const stack of ["dev", "prod"]) {
      const status = await sh(`npx slipway status --stack ${stack} --json`);
      const parsed = JSON.parse(status.stdout) as {
        services: { service: string; hosts: { host: string; state: string }[] }[];
      };
      assert.deepEqual(
        parsed.services.map((entry) => [entry.service, entry.hosts.map((h) => [h.host, h.state])]),
        [[stack === "dev" ? `${NAME}-dev` : NAME, [["host-1", "in-sync"]]]],
      );
    }
  });

  it("the repository holds its own files only: none of Slipway's source", async () => {
    await sh("git add -A && git commit -q -m 'slipway releases'");
    const tracked = (await sh("git ls-files")).stdout.trim().split("\n");
    assert.deepEqual(tracked, [
      ".github/workflows/slipway-dev.yml",
      ".github/workflows/slipway-preview.yml",
      ".github/workflows/slipway-promote.yml",
      ".gitignore",
      "Dockerfile",
      "Pulumi.dev.yaml",
      "Pulumi.prod.yaml",
      "Pulumi.yaml",
      "bin/busybox",
      "cosign.pub",
      "package-lock.json",
      "package.json",
      "stacks/releases/dev.yaml",
      "stacks/releases/prod.yaml",
      "www/healthz",
      "www/index.html",
    ]);
  });

  it("pulumi destroy removes the services and the edge", async () => {
    for (const stack of ["prod", "dev"]) {
      const destroyed = await timed(`pulumi destroy --stack ${stack}`, () => destroy(stack));
      assert.equal(destroyed.code, 0, `${destroyed.stdout}\n${destroyed.stderr}`);
      deployed.splice(deployed.indexOf(stack), 1);
    }
    assert.deepEqual(await containerNames(NAME), []);
    assert.deepEqual(await containerNames(EDGE), [], "the edge goes with the last route");
  });
});
