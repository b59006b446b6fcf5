import { strict as assert } from "node:assert";
import {
  bareTag,
  indexEntries,
  nextPage,
  parseChallenge,
  platformName,
  recordedTag,
  tagKind,
} from "../../../src/registry";

describe("registry: tags, platforms and headers", () => {
  it("sorts tags into the kinds Slipway publishes", () => {
    const kinds = Object.fromEntries(
      [
        "v1.2.3",
        "1.2.3",
        "1.2",
        "1",
        "v1",
        "latest",
        "dev",
        "buildcache",
        "dev-42-g4c2a9e1",
        "sha-4c2a9e1",
        "sha-4c2a9e1-dirty",
        "pr-17",
        "v1.2.3-rc.1",
        "feature-x",
        "01.2",
      ].map((tag) => [tag, tagKind(tag)]),
    );
    assert.deepEqual(kinds, {
      "v1.2.3": "release",
      "1.2.3": "release",
      "1.2": "release",
      "1": "release",
      v1: "release",
      latest: "latest",
      dev: "dev",
      buildcache: "buildcache",
      "dev-42-g4c2a9e1": "dev-build",
      "sha-4c2a9e1": "sha",
      "sha-4c2a9e1-dirty": "sha",
      "pr-17": "pr",
      "v1.2.3-rc.1": "other",
      "feature-x": "other",
      "01.2": "other",
    });
  });

  it("records the most specific tag of a digest, never a moving one", () => {
    assert.equal(
      recordedTag([
        "ghcr.io/acme/web:latest",
        "ghcr.io/acme/web:1",
        "ghcr.io/acme/web:v1.2.3",
        "ghcr.io/acme/web:1.2",
      ]),
      "v1.2.3",
    );
    assert.equal(
      recordedTag([
        "127.0.0.1:5000/slipway/web:dev",
        "127.0.0.1:5000/slipway/web:dev-7-gabc1234",
        "127.0.0.1:5000/slipway/web:sha-abc1234",
      ]),
      "sha-abc1234",
    );
    assert.equal(recordedTag(["dev", "dev-7-gabc1234"]), "dev-7-gabc1234");
    assert.equal(recordedTag(["latest", "dev", "buildcache"]), undefined);
    assert.equal(bareTag("127.0.0.1:5000/slipway/web"), "127.0.0.1:5000/slipway/web");
  });

  it("names platforms as Docker does and leaves attestations out", () => {
    assert.equal(
      platformName({ os: "linux", architecture: "arm64", variant: "v8" }),
      "linux/arm64",
    );
    assert.equal(platformName({ os: "linux", architecture: "arm", variant: "v7" }), "linux/arm/v7");
    assert.equal(platformName({ os: "unknown", architecture: "unknown" }), undefined);
    assert.deepEqual(
      indexEntries({
        manifests: [
          { digest: "sha256:a", platform: { os: "linux", architecture: "amd64" } },
          {
            digest: "sha256:b",
            platform: { os: "unknown", architecture: "unknown" },
            annotations: { "vnd.docker.reference.type": "attestation-manifest" },
          },
        ],
      }),
      [{ digest: "sha256:a", platform: "linux/amd64" }, { digest: "sha256:b" }],
    );
  });

  it("parses WWW-Authenticate challenges and Link headers", () => {
    assert.deepEqual(
      parseChallenge(
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/web:pull"',
      ),
      {
        scheme: "bearer",
        params: {
          realm: "https://ghcr.io/token",
          service: "ghcr.io",
          scope: "repository:acme/web:pull",
        },
      },
    );
    assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), {
      scheme: "basic",
      params: { realm: "Registry Realm" },
    });
    assert.equal(parseChallenge(""), undefined);
    assert.equal(
      nextPage('</v2/acme/web/tags/list?last=b&n=2>; rel="next"', "acme/web"),
      "/tags/list?last=b&n=2",
    );
    assert.equal(nextPage(null, "acme/web"), undefined);
  });
});
