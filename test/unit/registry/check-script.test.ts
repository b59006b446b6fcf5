/** The repository check script's exact text (its behaviour: test/integration/repository-check.test.ts). */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { repositoryCheckScript } from "../../../src/registry";

const DIGEST = `sha256:${"c3".repeat(32)}`;
/** The whole script for GHCR with a digest, a source and a user, as reviewed. */
const GHCR = fs.readFileSync(path.join(__dirname, "check-script.ghcr.sh"), "utf8");

describe("repositoryCheckScript", () => {
  it("checks the tag list, the digest and the source label (GHCR), with the fix in every failure", () => {
    assert.equal(
      repositoryCheckScript({
        server: "ghcr.io",
        path: "acme/web",
        insecure: false,
        digest: DIGEST,
        source: "https://github.com/Acme/Web.git",
        username: "bot",
      }),
      GHCR,
    );
  });

  it("passes shellcheck as POSIX sh", () => {
    // The fixture is what the generator writes for GHCR (asserted above).
    execFileSync("shellcheck", ["-s", "sh", path.join(__dirname, "check-script.ghcr.sh")]);
  });

  it("on a plain registry: plain HTTP, anonymous, no label check", () => {
    const script = repositoryCheckScript({
      server: "127.0.0.1:5000",
      path: "slipway/web",
      insecure: true,
      digest: DIGEST,
    });
    const lines = script.split("\n");
    assert.deepEqual(lines.slice(4, 10), [
      "server=127.0.0.1:5000",
      "repo=slipway/web",
      "scheme=http",
      "base=http://127.0.0.1:5000/v2/slipway/web",
      lines[8],
      "who='anonymous access'",
    ]);
    const tags = lines.indexOf("request GET '/tags/list?n=1000' application/json");
    assert.deepEqual(lines.slice(tags), [
      "request GET '/tags/list?n=1000' application/json",
      '[ "$code" = 404 ] || expect "GET tags of $repo" 200',
      `digest=${DIGEST}`,
      `missing='127.0.0.1:5000/slipway/web has no manifest ${DIGEST}; push the image (pulumi up on the build stack) before this check'`,
      'request HEAD "/manifests/$digest" "$accept"',
      '[ "$code" != 404 ] || fail "$missing"',
      'expect "HEAD manifest $repo@$digest" 200',
      `echo 'slipway: 127.0.0.1:5000/slipway/web answers and holds ${DIGEST}'`,
      "",
    ]);
    // Everything before the checks is the same as on GHCR but for the values.
    const ghcr = GHCR.split("\n");
    assert.deepEqual(lines.slice(10, tags), ghcr.slice(10, ghcr.indexOf(lines[tags]!)));
  });

  it("without a digest: only that the repository answers (404: not pushed yet)", () => {
    const lines = repositoryCheckScript({
      server: "ghcr.io",
      path: "acme/web",
      insecure: false,
    }).split("\n");
    assert.deepEqual(lines.slice(-4), [
      "request GET '/tags/list?n=1000' application/json",
      '[ "$code" = 404 ] || expect "GET tags of $repo" 200',
      "echo 'slipway: ghcr.io/acme/web answers'",
      "",
    ]);
  });

  it("reads the credentials from the environment, never from its own text", () => {
    const script = repositoryCheckScript({
      server: "ghcr.io",
      path: "acme/web",
      insecure: false,
      digest: DIGEST,
      username: "bot",
    });
    assert.ok(
      script.includes(
        `printf 'Authorization: Basic %s\\n' "$SLIPWAY_REGISTRY_AUTH" >"$work/basic"`,
      ),
    );
    // curl reads every Authorization header from a file in the private work directory.
    assert.deepEqual(
      script.split("\n").filter((line) => line.includes("curl -")),
      [
        `  code="$(curl -sS -L --max-time 30 \${head:+--head} -o "$work/body" -D "$work/headers" -w '%{http_code}' -H "Accept: $3" -H @"$4" "$2" 2>"$work/error")" ||`,
      ],
    );
  });

  it("quotes values that are not plain words", () => {
    const script = repositoryCheckScript({
      server: "ghcr.io",
      path: "acme/web",
      insecure: false,
      digest: DIGEST,
      source: "https://github.com/o'neil/web",
    });
    assert.ok(script.includes("\nwant='https://github.com/o'\\''neil/web'\n"));
    assert.ok(script.includes("but the stack'\\''s source is https://github.com/o'\\''neil/web;"));
  });
});
