/**
 * The SBOM script as /bin/sh runs it, with stand-ins for oras, syft and cosign on PATH (jq is
 * the real one): the platforms run at once, their output comes in platform order, and one
 * platform's failure fails the script.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sbomScript } from "../../../src/supply";

const INDEX = `sha256:${"ab".repeat(32)}`;
const AMD64 = `sha256:${"a1".repeat(32)}`;
const ARM64 = `sha256:${"a2".repeat(32)}`;
const REF = `127.0.0.1:5000/acme/web@${INDEX}`;

/** Stand-ins: each syft waits (up to 5 s) until every platform's syft has started. */
function tools(dir: string, failing?: string): string {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  const write = (name: string, text: string) =>
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${text}`, { mode: 0o755 });
  write(
    "oras",
    `printf '%s' '${JSON.stringify({
      manifests: [
        { digest: AMD64, platform: { os: "linux", architecture: "amd64" } },
        { digest: ARM64, platform: { os: "linux", architecture: "arm64" } },
      ],
    })}'\n`,
  );
  write(
    "syft",
    [
      "out=${4#spdx-json=}; image=${5##*@}; log=" + JSON.stringify(path.join(dir, "log")),
      'echo "start $image" >> "$log"',
      'touch "' + dir + '/started-$image"',
      "tries=0",
      `while [ ! -f "${dir}/started-${AMD64}" ] || [ ! -f "${dir}/started-${ARM64}" ]; do`,
      '  tries=$((tries + 1)); [ "$tries" -lt 100 ] || { echo "syft alone: $image" >&2; exit 1; }',
      "  sleep 0.05",
      "done",
      ...(failing === undefined
        ? []
        : [`if [ "$image" = "${failing}" ]; then echo "syft: cannot read $image" >&2; exit 1; fi`]),
      `printf '{"packages":[{},{}]}' > "$out"`,
      'echo "end $image" >> "$log"',
      "",
    ].join("\n"),
  );
  write("cosign", 'echo "cosign $*" >&2\n');
  return bin;
}

function run(failing?: string): { status: number; stdout: string; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-sbom-"));
  try {
    const bin = tools(dir, failing);
    const result = spawnSync("/bin/sh", ["-s"], {
      input: sbomScript({
        ref: REF,
        platforms: ["linux/amd64", "linux/arm64"],
        sign: true,
        insecure: true,
      }),
      env: { PATH: `${bin}:${process.env.PATH ?? ""}`, COSIGN_PRIVATE_KEY: "key" },
      encoding: "utf8",
    });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("the SBOM script, run", () => {
  it("makes both platforms' SBOMs at once and prints them in platform order", () => {
    const result = run();
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        `slipway: SBOM (SPDX) of linux/amd64, 2 packages, attached to 127.0.0.1:5000/acme/web@${AMD64}`,
        `slipway: SBOM (SPDX) of linux/arm64, 2 packages, attached to 127.0.0.1:5000/acme/web@${ARM64}`,
        "",
      ].join("\n"),
    );
    // The work directory's name is mktemp's: left out.
    assert.deepEqual(
      result.stderr
        .trimEnd()
        .split("\n")
        .map((line) => line.replace(/--predicate \S+\/(sbom-)/, "--predicate $1")),
      [
        ["amd64", AMD64],
        ["arm64", ARM64],
      ].map(
        ([arch, digest]) =>
          `cosign attest --yes --key env://COSIGN_PRIVATE_KEY --tlog-upload=false --allow-http-registry --allow-insecure-registry --type spdxjson --predicate sbom-linux-${arch!}.spdx.json 127.0.0.1:5000/acme/web@${digest!}`,
      ),
      "cosign attests each platform's SBOM on its own manifest",
    );
  });

  it("fails when one platform fails, with its error, after the other one's output", () => {
    const result = run(ARM64);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /^slipway: SBOM \(SPDX\) of linux\/amd64, 2 packages/);
    assert.ok(!result.stdout.includes("linux/arm64"), result.stdout);
    assert.ok(result.stderr.endsWith(`syft: cannot read ${ARM64}\n`), result.stderr);
  });
});
