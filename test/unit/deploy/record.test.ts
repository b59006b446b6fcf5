import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  commitRecordLines,
  entryPrefix,
  parseProbe,
  parseReleaseRecord,
  prepareRecordLines,
  probeScript,
  RECORD_HISTORY,
} from "../../../src/deploy";
import { fakeDocker, REF_WEB, sh, tempDir, typicalDefinition } from "./fixtures";

function digestOf(n: number): string {
  return `sha256:${n.toString(16).padStart(2, "0").repeat(32)}`;
}

const DEPLOYED_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe("deploy/record: release.json on the host", () => {
  let temp: ReturnType<typeof tempDir>;
  let state: string;
  beforeEach(() => {
    temp = tempDir();
    state = path.join(temp.dir, "web");
    fs.mkdirSync(state);
  });
  afterEach(() => temp.remove());

  function definition(n: number, revision?: string) {
    return typicalDefinition({
      ref: `ghcr.io/acme/web@${digestOf(n)}`,
      ...(revision === undefined ? { revision: undefined } : { revision }),
    });
  }

  /** Runs the record lines as the deploy script does: prepared in "$tmp", then committed. */
  async function record(n: number, revision?: string, commit = true): Promise<void> {
    const result = await sh(
      [
        "set -eu",
        "umask 077",
        `state='${state}'`,
        `tmp=$(mktemp -d "$state"/tmp.XXXXXX)`,
        `name=web-release-${n}`,
        ...prepareRecordLines(definition(n, revision)),
        ...(commit ? commitRecordLines() : []),
        'rmdir "$tmp"',
      ].join("\n"),
    );
    assert.equal(result.code, 0, result.stderr);
  }

  function read(): string {
    return fs.readFileSync(path.join(state, "release.json"), "utf8");
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

  it("writes service, stack, current and previous, newest first, world-readable", async () => {
    await record(1, "rev-1");
    let rec = parseReleaseRecord(read());
    assert.match(rec.current.deployedAt, DEPLOYED_AT);
    assert.deepEqual(rec, {
      service: "web",
      stack: "dev",
      current: {
        image: "web",
        ref: `ghcr.io/acme/web@${digestOf(1)}`,
        digest: digestOf(1),
        revision: "rev-1",
        deployedAt: rec.current.deployedAt,
      },
      previous: [],
    });

    await record(2, 'tricky "revision" \\ with\nnewline');
    await record(3);
    rec = parseReleaseRecord(read());
    assert.equal(rec.current.digest, digestOf(3));
    assert.equal(rec.current.revision, null);
    assert.deepEqual(
      rec.previous.map((entry) => [entry.digest, entry.revision]),
      [
        [digestOf(2), 'tricky "revision" \\ with\nnewline'],
        [digestOf(1), "rev-1"],
      ],
    );
    for (const file of ["release.json", "releases", "current", "owner"]) {
      assert.equal(fs.statSync(path.join(state, file)).mode & 0o777, 0o644, file);
    }
    assert.equal(fs.readFileSync(path.join(state, "current"), "utf8"), "web-release-3\n");
    assert.equal(fs.readFileSync(path.join(state, "owner"), "utf8"), "dev\n");
    assert.deepEqual(
      fs.readdirSync(state).sort(),
      ["current", "owner", "release.json", "releases"],
      "nothing of the private directory is left behind",
    );
  });

  it("changes nothing of the host's record until it is committed", async () => {
    await record(1, "rev-1");
    const before = read();
    const result = await sh(
      [
        "set -eu",
        `state='${state}'`,
        `tmp='${temp.dir}'/prepared`,
        'mkdir "$tmp"',
        "name=web-release-2",
        ...prepareRecordLines(definition(2, "rev-2")),
      ].join("\n"),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(read(), before);
    assert.equal(fs.readFileSync(path.join(state, "current"), "utf8"), "web-release-1\n");
    const prepared = parseReleaseRecord(
      fs.readFileSync(path.join(temp.dir, "prepared", "release.json"), "utf8"),
    );
    assert.equal(prepared.current.digest, digestOf(2));
    assert.deepEqual(
      prepared.previous.map((entry) => entry.digest),
      [digestOf(1)],
    );
  });

  it("commits by renames only, so a full disk after the switch cannot cut the record", () => {
    assert.deepEqual(commitRecordLines(), [
      'mv -f "$tmp"/releases "$state"/releases',
      'mv -f "$tmp"/current "$state"/current',
      'mv -f "$tmp"/owner "$state"/owner',
      'mv -f "$tmp"/release.json "$state"/release.json',
    ]);
  });

  it(`lists at most ${RECORD_HISTORY} previous releases`, async () => {
    for (let n = 1; n <= RECORD_HISTORY + 4; n++) {
      await record(n);
    }
    const rec = parseReleaseRecord(read());
    assert.equal(rec.current.digest, digestOf(RECORD_HISTORY + 4));
    assert.deepEqual(
      rec.previous.map((entry) => entry.digest),
      Array.from({ length: RECORD_HISTORY }, (_, i) => digestOf(RECORD_HISTORY + 3 - i)),
    );
  });

  it("refuses a file of another shape, naming the first problem", () => {
    assert.throws(
      () => parseReleaseRecord("{not json"),
      new Error("not a Slipway release record: not JSON"),
    );
    assert.throws(
      () =>
        parseReleaseRecord(
          '{"service":"web","current":{"image":"web","digest":"d","revision":null,"deployedAt":"t"},"previous":[]}',
        ),
      new Error(
        "not a Slipway release record: current.ref: Invalid input: expected string, received undefined",
      ),
    );
    assert.throws(
      () => parseReleaseRecord('{"service":"web"}'),
      new Error(
        "not a Slipway release record: current: Invalid input: expected object, received undefined",
      ),
    );
  });

  it("reads a Slipway 0.1 record, which has no stack", () => {
    const entry = `{"image":"web","ref":"${REF_WEB}","digest":"sha256:${"ab".repeat(32)}","revision":null,"deployedAt":"2026-01-01T00:00:00Z"}`;
    assert.deepEqual(parseReleaseRecord(`{"service":"web","current":${entry},"previous":[]}`), {
      service: "web",
      current: JSON.parse(entry) as unknown,
      previous: [],
    });
  });

  // `slipway status` reads what the deploy script writes, through the same schema.
  it("is what the status probe reads on the host, revision null included", async () => {
    await record(1, "rev-1");
    await record(2);
    const docker = fakeDocker(path.join(temp.dir, "fake"));
    const result = await sh(probeScript(typicalDefinition({ stateRoot: temp.dir })), {
      env: docker.env,
    });
    assert.equal(result.code, 0, result.stderr);
    const probe = parseProbe(result.stdout);
    const written = parseReleaseRecord(read());
    assert.equal(written.current.revision, null);
    assert.deepEqual(probe.record, written);
    assert.equal(probe.owner, "dev");
    assert.equal(probe.current, "web-release-2");
  });
});
