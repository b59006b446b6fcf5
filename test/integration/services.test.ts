/**
 * Local services end to end: registry, SSH deploy target, dockerd with
 * multi-platform builds, qemu for arm64, and (when bootstrapped) buildkitd.
 * Needs root and scripts/install-system.sh; starts what is not running and
 * stops afterwards only what it started.
 */
import { strict as assert } from "node:assert";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import {
  APP_DIR,
  BUILDKIT_SOCKET,
  BUILDX_BUILDER,
  REGISTRY,
  REGISTRY_URL,
  SERVICES_SH,
  deleteManifest,
  ensureBusybox,
  getManifest,
  run,
  runOk,
  sshExec,
  uniqueTag,
  useServices,
} from "../helpers/services";

const REPO = "slipway-test/app";

describe("local services (scripts/services.sh)", function () {
  this.timeout(600_000);
  const services = useServices(["docker", "registry", "sshd", "binfmt"], {
    optional: ["buildkitd"],
  });

  it("registry answers GET /v2/ with {}", async function () {
    const res = await fetch(`${REGISTRY_URL}/v2/`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
  });

  it("ssh with the generated key and known_hosts runs a command as root", async function () {
    const r = await sshExec("echo ok; id -u", { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), ["ok", "0"]);
  });

  it("ssh target can reach the docker daemon", async function () {
    const r = await sshExec("docker info --format '{{.Driver}}'", { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "overlayfs");
  });

  it("services.sh up is idempotent and reports already running", async function () {
    const r = await runOk(SERVICES_SH, ["up", "registry", "sshd"]);
    assert.match(r.stdout, /^registry: already running/m);
    assert.match(r.stdout, /^sshd: already running/m);
  });

  describe("multi-platform build of examples/app/ pushed to the local registry", function () {
    const tag = uniqueTag("svc");
    const ref = `${REGISTRY}/${REPO}:${tag}`;
    let indexDigest = "";
    let tmp = "";

    before(async function () {
      this.timeout(600_000);
      await ensureBusybox();
      tmp = await mkdtemp(path.join(os.tmpdir(), "slipway-svc-"));
      const metadata = path.join(tmp, "metadata.json");
      const started = Date.now();
      await runOk(
        "docker",
        [
          "buildx",
          "build",
          "--builder",
          "default",
          "--platform",
          "linux/amd64,linux/arm64",
          "--target",
          "prod",
          "--build-arg",
          `APP_RELEASE=${tag}`,
          "--metadata-file",
          metadata,
          "--tag",
          ref,
          // One push, by BuildKit (--push on the docker driver pushes twice).
          "--output",
          "type=image,push=true",
          APP_DIR,
        ],
        { timeoutMs: 600_000 },
      );
      console.log(
        `      multi-platform build + push: ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      const meta = JSON.parse(await readFile(metadata, "utf8")) as Record<string, unknown>;
      const digest = meta["containerimage.digest"];
      indexDigest = typeof digest === "string" ? digest : "";
      assert.match(indexDigest, /^sha256:[0-9a-f]{64}$/, `no digest in ${JSON.stringify(meta)}`);
    });

    after(async function () {
      this.timeout(120_000);
      if (indexDigest) {
        await run("docker", ["image", "rm", "--force", `${REGISTRY}/${REPO}@${indexDigest}`]);
        await deleteManifest(REPO, indexDigest);
      }
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    it("the tag is an image index listing linux/amd64 and linux/arm64", async function () {
      const m = await getManifest(REPO, tag);
      assert.equal(m.digest, indexDigest);
      assert.match(m.body.mediaType ?? m.mediaType, /image\.index|manifest\.list/);
      const platforms = (m.body.manifests ?? [])
        .map((d) => d.platform)
        .filter((p): p is NonNullable<typeof p> => !!p && p.os !== "unknown")
        .map((p) => `${p.os}/${p.architecture}`)
        .sort();
      assert.deepEqual(platforms, ["linux/amd64", "linux/arm64"]);
    });

    for (const [platform, machine] of [
      ["linux/arm64", "aarch64"],
      ["linux/amd64", "x86_64"],
    ] as const) {
      it(`runs the ${platform} variant by digest (uname -m = ${machine})`, async function () {
        const r = await runOk(
          "docker",
          [
            "run",
            "--rm",
            "--platform",
            platform,
            "--entrypoint",
            "/bin/busybox",
            `${REGISTRY}/${REPO}@${indexDigest}`,
            "uname",
            "-m",
          ],
          { timeoutMs: 180_000 },
        );
        assert.equal(r.stdout.trim(), machine);
      });
    }

    it("serves /healthz and its release as non-root, and stops quickly with --init", async function () {
      const name = `slipway-svc-${tag}`;
      await runOk("docker", [
        "run",
        "-d",
        "--init",
        "--name",
        name,
        "--platform",
        "linux/amd64",
        "-p",
        "127.0.0.1::8080",
        `${REGISTRY}/${REPO}@${indexDigest}`,
      ]);
      try {
        const port =
          (await runOk("docker", ["port", name, "8080/tcp"])).stdout.trim().split("\n")[0] ?? "";
        const base = `http://${port}`;
        let health = 0;
        for (let i = 0; i < 50 && health !== 200; i++) {
          health = await fetch(`${base}/healthz`).then(
            (r) => r.status,
            () => 0,
          );
          if (health !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(health, 200);
        assert.equal((await (await fetch(`${base}/readyz`)).text()).trim(), "ready");
        assert.equal((await (await fetch(`${base}/cgi-bin/version`)).text()).trim(), tag);
        const info = (await (await fetch(`${base}/cgi-bin/info`)).json()) as Record<
          string,
          unknown
        >;
        assert.deepEqual(info, { release: tag, env: "prod", arch: "x86_64", uid: 65534 });
        const t0 = Date.now();
        await runOk("docker", ["stop", name]);
        assert.ok(Date.now() - t0 < 5_000, `docker stop took ${Date.now() - t0} ms`);
      } finally {
        await run("docker", ["rm", "--force", name]);
      }
    });
  });

  describe(`buildx builder "${BUILDX_BUILDER}" (remote buildkitd)`, function () {
    before(function () {
      if (!services.isUp("buildkitd")) {
        console.log(`      (buildkitd: ${services.results.buildkitd?.detail ?? "not started"})`);
        this.skip();
      }
    });

    it(`points at ${BUILDKIT_SOCKET} and builds examples/app/ for both platforms`, async function () {
      const inspect = await runOk("docker", ["buildx", "inspect", "--bootstrap", BUILDX_BUILDER]);
      assert.match(
        inspect.stdout,
        new RegExp(`Endpoint:\\s+${BUILDKIT_SOCKET.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`),
      );
      const tag = uniqueTag("svc-remote");
      const started = Date.now();
      await runOk(
        "docker",
        [
          "buildx",
          "build",
          "--builder",
          BUILDX_BUILDER,
          "--platform",
          "linux/amd64,linux/arm64",
          "--target",
          "prod",
          "--build-arg",
          `APP_RELEASE=${tag}`,
          "--tag",
          `${REGISTRY}/${REPO}:${tag}`,
          "--push",
          APP_DIR,
        ],
        { timeoutMs: 600_000 },
      );
      console.log(
        `      remote-builder build + push: ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      const m = await getManifest(REPO, tag);
      const platforms = (m.body.manifests ?? [])
        .map((d) => d.platform)
        .filter((p): p is NonNullable<typeof p> => !!p && p.os !== "unknown")
        .map((p) => `${p.os}/${p.architecture}`)
        .sort();
      assert.deepEqual(platforms, ["linux/amd64", "linux/arm64"]);
      await deleteManifest(REPO, m.digest);
    });
  });
});
