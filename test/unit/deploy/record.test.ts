import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  entryPrefix,
  parseReleaseRecord,
  RECORD_HISTORY,
  recordLines,
  stopScript,
} from "../../../src/deploy";
import { lines, REF_WEB, sh, tempDir, typicalDefinition } from "./fixtures";

function digestOf(n: number): string {
  return `sha256:${n.toString(16).padStart(2, "0").repeat(32)}`;
}

describe("deploy/record: release.json on the host", () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    temp = tempDir();
  });
  afterEach(() => temp.remove());

  async function record(n: number, revision?: string): Promise<void> {
    const def = typicalDefinition({
      ref: `ghcr.io/acme/web@${digestOf(n)}`,
      ...(revision === undefined ? { revision: undefined } : { revision }),
    });
    const result = await sh(["set -eu", `state=${temp.dir}`, ...recordLines(def)].join("\n"));
    assert.equal(result.code, 0, result.stderr);
  }

  function read() {
    return parseReleaseRecord(fs.readFileSync(path.join(temp.dir, "release.json"), "utf8"));
  }

  it("escapes the entry as JSON in TypeScript; the host only adds the time", () => {
    assert.equal(
      entryPrefix(typicalDefinition({ revision: 'a"b\\c\nd' })),
      `{"image":"web","ref":"${REF_WEB}","digest":"sha256:${"ab".repeat(32)}","revision":"a\\"b\\\\c\\nd"`,
    );
    assert.equal(
      entryPrefix(typicalDefinition({ revision: undefined })),
      `{"image":"web","ref":"${REF_WEB}","digest":"sha256:${"ab".repeat(32)}","revision":null`,
    );
  });

  it("writes current and previous, newest first, atomically and world-readable", async () => {
    await record(1, "rev-1");
    let rec = read();
    assert.equal(rec.service, "web");
    assert.equal(rec.current.digest, digestOf(1));
    assert.equal(rec.current.ref, `ghcr.io/acme/web@${digestOf(1)}`);
    assert.equal(rec.current.image, "web");
    assert.equal(rec.current.revision, "rev-1");
    assert.match(rec.current.deployedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(rec.previous, []);

    await record(2, 'tricky "revision" \\ with\nnewline');
    await record(3);
    rec = read();
    assert.equal(rec.current.digest, digestOf(3));
    assert.equal(rec.current.revision, null);
    assert.deepEqual(
      rec.previous.map((entry) => [entry.digest, entry.revision]),
      [
        [digestOf(2), 'tricky "revision" \\ with\nnewline'],
        [digestOf(1), "rev-1"],
      ],
    );
    assert.equal(fs.statSync(path.join(temp.dir, "release.json")).mode & 0o777, 0o644);
    assert.deepEqual(
      fs.readdirSync(temp.dir).sort(),
      ["release.json", "releases"],
      "no temp files left behind",
    );
  });

  it(`lists at most ${RECORD_HISTORY} previous releases`, async () => {
    for (let n = 1; n <= RECORD_HISTORY + 4; n++) {
      await record(n);
    }
    const rec = read();
    assert.equal(rec.current.digest, digestOf(RECORD_HISTORY + 4));
    assert.deepEqual(
      rec.previous.map((entry) => entry.digest),
      Array.from({ length: RECORD_HISTORY }, (_, i) => digestOf(RECORD_HISTORY + 3 - i)),
    );
  });

  it("refuses a file of another shape", () => {
    assert.throws(
      () => parseReleaseRecord('{"service":"web","current":{"image":"web"},"previous":[]}'),
      new Error("not a Slipway release record: an entry has no ref"),
    );
    assert.throws(
      () => parseReleaseRecord('{"service":"web"}'),
      new Error("not a Slipway release record: no previous list"),
    );
  });
});

describe("deploy/stop-script", () => {
  const script = stopScript(typicalDefinition());

  it("takes the lock, stops the proxy first, then removes every container, the network and the state", () => {
    const all = lines(script);
    const at = (line: string) => {
      const index = all.indexOf(line);
      assert.ok(index >= 0, `missing line ${JSON.stringify(line)}`);
      return index;
    };
    const order = [
      at("if ! flock -n 9; then"),
      at("docker stop web-proxy >/dev/null 2>&1 || true"),
      at("containers=$(docker ps --all --quiet --filter label=slipway.service=web)"),
      at('docker stop "$id" >/dev/null 2>&1 || true'),
      at('docker rm --force "$id" >/dev/null'),
      at("docker network rm slipway-web >/dev/null"),
      at('rm -rf "$state"'),
    ];
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    at(
      'if [ ! -d "$state" ] && [ -z "$(docker ps --all --quiet --filter label=slipway.service=web)" ]; then',
    );
  });

  it("needs only the service on the host, not a release", () => {
    assert.equal(
      stopScript({ host: "web-1", stack: "dev", service: "web", stateRoot: "/var/lib/slipway" }),
      script,
    );
  });
});
