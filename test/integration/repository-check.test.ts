/**
 * The repository check script (what `<image>-check` runs at create and update, on stdin)
 * against the real local registry (127.0.0.1:5000), with images pushed here by hand: an index
 * of two platforms and an attestation entry, whose configs carry a source label, and a single
 * image without one. Then against a fake registry on loopback that wants a bearer token, to prove
 * the credentials reach the token service from the environment.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { REPOSITORY_CHECK_AUTH_ENV, repositoryCheckScript } from "../../src/registry";
import { SCRIPT_ON_STDIN } from "../../src/supply/script";
import { REGISTRY, REGISTRY_URL, uniqueTag, useServices } from "../helpers/services";

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const SOURCE = "https://github.com/acme/web";

const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** Runs a check script as `<image>-check` does: `/bin/sh -c "exec /bin/sh -s"`, the script on stdin. */
function check(
  script: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", SCRIPT_ON_STDIN], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code: code ?? 1, stdout: stdout.trim(), stderr: stderr.trim() }),
    );
    child.stdin.end(script);
  });
}

describe("the repository check script", function () {
  this.timeout(120_000);

  describe("against the local registry", () => {
    useServices(["registry"]);
    const path = `${uniqueTag("rc")}/web`;
    const where = `${REGISTRY}/${path}`;
    let index: string;
    let unlabelled: string;

    /** Pushes a blob, returns its digest. */
    async function blob(bytes: Buffer): Promise<string> {
      const digest = sha256(bytes);
      const start = await fetch(`${REGISTRY_URL}/v2/${path}/blobs/uploads/`, { method: "POST" });
      assert.equal(start.status, 202);
      const location = new URL(start.headers.get("location")!, REGISTRY_URL);
      location.searchParams.set("digest", digest);
      const put = await fetch(location, {
        method: "PUT",
        headers: { "Content-Type": "application/octet-stream" },
        body: bytes,
      });
      assert.equal(put.status, 201, await put.text());
      return digest;
    }

    /** Pushes a manifest under `tag`, returns its digest. */
    async function manifest(body: unknown, mediaType: string, tag: string): Promise<string> {
      const bytes = Buffer.from(JSON.stringify(body));
      const put = await fetch(`${REGISTRY_URL}/v2/${path}/manifests/${tag}`, {
        method: "PUT",
        headers: { "Content-Type": mediaType },
        body: bytes,
      });
      assert.equal(put.status, 201, await put.text());
      return sha256(bytes);
    }

    /** An image (no layers) whose config has these labels. */
    async function image(architecture: string, labels: Record<string, string>, tag: string) {
      const config = Buffer.from(
        JSON.stringify({
          architecture,
          os: "linux",
          config: { Labels: labels },
          rootfs: { type: "layers", diff_ids: [] },
        }),
      );
      const digest = await blob(config);
      return manifest(
        {
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: {
            mediaType: "application/vnd.oci.image.config.v1+json",
            digest,
            size: config.length,
          },
          layers: [],
        },
        OCI_MANIFEST,
        tag,
      );
    }

    before(async () => {
      // The attestation entry comes first and names another source: the check must skip it.
      const attestation = await image(
        "unknown",
        { "org.opencontainers.image.source": "https://github.com/acme/other" },
        "att",
      );
      const amd64 = await image(
        "amd64",
        { "org.opencontainers.image.source": "https://github.com/Acme/Web.git" },
        "amd64",
      );
      const arm64 = await image(
        "arm64",
        { "org.opencontainers.image.source": "https://github.com/acme/other" },
        "arm64",
      );
      const entry = (digest: string, platform: Record<string, string>, annotations = {}) => ({
        mediaType: OCI_MANIFEST,
        digest,
        size: 0,
        platform,
        annotations,
      });
      index = await manifest(
        {
          schemaVersion: 2,
          mediaType: OCI_INDEX,
          manifests: [
            entry(
              attestation,
              { os: "unknown", architecture: "unknown" },
              {
                "vnd.docker.reference.type": "attestation-manifest",
                "vnd.docker.reference.digest": amd64,
              },
            ),
            entry(amd64, { os: "linux", architecture: "amd64" }),
            entry(arm64, { os: "linux", architecture: "arm64" }),
          ],
        },
        OCI_INDEX,
        "labelled",
      );
      unlabelled = await image("amd64", {}, "unlabelled");
    });

    const script = (input: { path?: string; digest?: string; source?: string }) =>
      repositoryCheckScript({
        server: REGISTRY,
        path: input.path ?? path,
        insecure: true,
        ...(input.digest === undefined ? {} : { digest: input.digest }),
        ...(input.source === undefined ? {} : { source: input.source }),
      });

    it("passes a present digest whose first platform names the source (case, .git and / aside)", async () => {
      const result = await check(script({ digest: index, source: `${SOURCE}/` }));
      assert.deepEqual(result, {
        code: 0,
        stdout: `slipway: ${where} answers, holds ${index}, and its org.opencontainers.image.source names ${SOURCE}/`,
        stderr: "",
      });
    });

    it("passes a present digest without a source to check", async () => {
      assert.deepEqual(await check(script({ digest: unlabelled })), {
        code: 0,
        stdout: `slipway: ${where} answers and holds ${unlabelled}`,
        stderr: "",
      });
    });

    it("fails a missing digest with the reason", async () => {
      const missing = `sha256:${"0".repeat(64)}`;
      assert.deepEqual(await check(script({ digest: missing, source: SOURCE })), {
        code: 1,
        stdout: "",
        stderr: `slipway: ${where} has no manifest ${missing}; push the image (pulumi up on the build stack) before this check`,
      });
    });

    it("fails a missing repository with the reason, and lets it be when no digest is asked for", async () => {
      const other = `${uniqueTag("rc")}/none`;
      assert.deepEqual(await check(script({ path: other, digest: index })), {
        code: 1,
        stdout: "",
        stderr: `slipway: ${REGISTRY}/${other} has no manifest ${index}; push the image (pulumi up on the build stack) before this check`,
      });
      assert.deepEqual(await check(script({ path: other })), {
        code: 0,
        stdout: `slipway: ${REGISTRY}/${other} answers`,
        stderr: "",
      });
    });

    it("fails a wrong or missing source label with the label and the fix", async () => {
      const wrong = await check(script({ digest: index, source: "https://github.com/acme/api" }));
      assert.deepEqual(wrong, {
        code: 1,
        stdout: "",
        stderr:
          `slipway: ${where}@${index} has org.opencontainers.image.source "https://github.com/Acme/Web.git", ` +
          "but the stack's source is https://github.com/acme/api; GHCR links the package to the repository this label names: " +
          "set slipway:source, or remove a LABEL that overrides it in the Dockerfile",
      });
      const unset = await check(script({ digest: unlabelled, source: SOURCE }));
      assert.equal(unset.code, 1);
      assert.equal(
        unset.stderr,
        `slipway: ${where}@${unlabelled} has org.opencontainers.image.source unset, but the stack's source is ${SOURCE}; ` +
          "GHCR links the package to the repository this label names: set slipway:source, or remove a LABEL that overrides it in the Dockerfile",
      );
    });

    it("fails an unreachable registry with curl's reason", async () => {
      const result = await check(
        repositoryCheckScript({ server: "127.0.0.1:1", path, insecure: true, digest: index }),
      );
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /^slipway: cannot reach registry 127\.0\.0\.1:1 \(http\): Failed to connect to 127\.0\.0\.1 port 1/,
      );
    });
  });

  describe("against a registry that wants a bearer token", () => {
    let server: http.Server;
    let port: number;
    /** Authorization headers the fake saw, by path. */
    let seen: { path: string; authorization: string | undefined }[];
    const digest = `sha256:${"ab".repeat(32)}`;

    before(async () => {
      server = http.createServer((request, response) => {
        const url = new URL(request.url ?? "/", "http://fake");
        seen.push({
          path: url.pathname + url.search,
          authorization: request.headers.authorization,
        });
        if (url.pathname === "/token") {
          const basic = `Basic ${Buffer.from("bot:s3cret").toString("base64")}`;
          if (request.headers.authorization !== basic) {
            response.writeHead(401).end();
            return;
          }
          response.writeHead(200, { "Content-Type": "application/json" });
          response.end(JSON.stringify({ token: "t0ken" }));
          return;
        }
        if (request.headers.authorization !== "Bearer t0ken") {
          response.writeHead(401, {
            "WWW-Authenticate": `Bearer realm="http://127.0.0.1:${port}/token",service="fake",scope="repository:acme/web:pull"`,
            "Content-Type": "application/json",
          });
          response.end(
            JSON.stringify({
              errors: [{ code: "UNAUTHORIZED", message: "authentication required" }],
            }),
          );
          return;
        }
        if (url.pathname === "/v2/acme/web/tags/list") {
          response.writeHead(200, { "Content-Type": "application/json" });
          response.end(JSON.stringify({ name: "acme/web", tags: ["v1"] }));
          return;
        }
        response.writeHead(url.pathname === `/v2/acme/web/manifests/${digest}` ? 200 : 404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as AddressInfo).port;
    });
    beforeEach(() => {
      seen = [];
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const script = () =>
      repositoryCheckScript({
        server: `127.0.0.1:${port}`,
        path: "acme/web",
        insecure: true,
        digest,
        username: "bot",
      });

    it("gets a token with the credentials from the environment, then checks with it", async () => {
      const auth = Buffer.from("bot:s3cret").toString("base64");
      const result = await check(script(), { [REPOSITORY_CHECK_AUTH_ENV]: auth });
      assert.deepEqual(result, {
        code: 0,
        stdout: `slipway: 127.0.0.1:${port}/acme/web answers and holds ${digest}`,
        stderr: "",
      });
      assert.deepEqual(seen, [
        { path: "/v2/acme/web/tags/list?n=1000", authorization: undefined },
        {
          path: "/token?service=fake&scope=repository%3Aacme%2Fweb%3Apull",
          authorization: `Basic ${auth}`,
        },
        { path: "/v2/acme/web/tags/list?n=1000", authorization: "Bearer t0ken" },
        { path: `/v2/acme/web/manifests/${digest}`, authorization: "Bearer t0ken" },
      ]);
      assert.ok(!script().includes(auth) && !script().includes("s3cret"));
    });

    it("names the user whose credentials the token service refused", async () => {
      const result = await check(script(), {
        [REPOSITORY_CHECK_AUTH_ENV]: Buffer.from("bot:wrong").toString("base64"),
      });
      assert.deepEqual(result, {
        code: 1,
        stdout: "",
        stderr: `slipway: the token service of 127.0.0.1:${port} (http://127.0.0.1:${port}) refused the credentials of bot: 401`,
      });
    });
  });
});
