import { strict as assert } from "node:assert";
import { parseDigestReference, splitTag } from "../../../src/reference";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("references (src/reference)", () => {
  it("splitTag: the tag follows the last colon after the last slash; a registry port is not a tag", () => {
    assert.deepEqual(splitTag("127.0.0.1:5000/team/web:v1.2.0"), {
      repository: "127.0.0.1:5000/team/web",
      tag: "v1.2.0",
    });
    assert.deepEqual(splitTag("127.0.0.1:5000/team/web"), {
      repository: "127.0.0.1:5000/team/web",
    });
    assert.deepEqual(splitTag("ghcr.io/acme/api:sha-0123abc"), {
      repository: "ghcr.io/acme/api",
      tag: "sha-0123abc",
    });
    assert.deepEqual(splitTag("web"), { repository: "web" });
  });

  it("parseDigestReference reads the tag the same way and refuses a bad one", () => {
    assert.deepEqual(parseDigestReference(`127.0.0.1:5000/team/web@${DIGEST}`), {
      registry: "127.0.0.1:5000",
      path: "team/web",
      repository: "127.0.0.1:5000/team/web",
      digest: DIGEST,
      ref: `127.0.0.1:5000/team/web@${DIGEST}`,
    });
    assert.equal(parseDigestReference(`127.0.0.1:5000/team/web:v2@${DIGEST}`).tag, "v2");
    assert.throws(
      () => parseDigestReference(`127.0.0.1:5000/team/web:-x@${DIGEST}`),
      /"-x" is not a valid tag/,
    );
  });
});
