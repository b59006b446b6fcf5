import { strict as assert } from "node:assert";
import type { BuildConfig } from "../../../src/config";
import {
  branchTag,
  buildVariant,
  imageLabels,
  imageTags,
  isMovingTag,
  moveTagsScript,
  repositoryUrl,
  splitTags,
  versionTags,
  type SourceInfo,
} from "../../../src/images";

const SHA = "4c2a9e1f0b7d3c5a8e6f4d2b0a9c8e7f6d5c4b3a";

function source(overrides: Partial<SourceInfo> = {}): SourceInfo {
  return {
    sha: SHA,
    branch: "main",
    defaultBranch: "main",
    commitCount: 128,
    commitTime: "2026-11-20T09:30:00Z",
    dirty: false,
    url: "https://github.com/acme/web",
    ...overrides,
  };
}

describe("image tags", () => {
  it("on the default branch: sha, dev and dev-<count>-g<sha>", () => {
    assert.deepEqual(imageTags(source()), ["sha-4c2a9e1", "dev", "dev-128-g4c2a9e1"]);
  });

  it("on a release version: v1.2.3, 1.2.3, 1.2, 1 and latest", () => {
    assert.deepEqual(imageTags(source({ branch: undefined, version: "1.2.3" })), [
      "sha-4c2a9e1",
      "v1.2.3",
      "1.2.3",
      "1.2",
      "1",
      "latest",
    ]);
  });

  it("a release tagged on main gets both the dev and the release tags", () => {
    assert.deepEqual(imageTags(source({ version: "2.0.0" })), [
      "sha-4c2a9e1",
      "dev",
      "dev-128-g4c2a9e1",
      "v2.0.0",
      "2.0.0",
      "2.0",
      "2",
      "latest",
    ]);
  });

  it("a pre-release gets only its exact version, and 0.x no major tag", () => {
    assert.deepEqual(versionTags("1.3.0-rc.1"), ["v1.3.0-rc.1", "1.3.0-rc.1"]);
    assert.deepEqual(versionTags("0.4.2"), ["v0.4.2", "0.4.2", "0.4", "latest"]);
    assert.throws(() => versionTags("1.2"), {
      message: `release version "1.2" is not semantic (X.Y.Z); tag releases as vX.Y.Z`,
    });
  });

  it("on a pull request: sha and pr-<n>, nothing moving", () => {
    assert.deepEqual(imageTags(source({ branch: "feature/login", pullRequest: 42 })), [
      "sha-4c2a9e1",
      "pr-42",
    ]);
  });

  it("on a detached HEAD: only the sha", () => {
    assert.deepEqual(imageTags(source({ branch: undefined })), ["sha-4c2a9e1"]);
  });

  it("on another branch: the sha and the branch name as a tag", () => {
    assert.deepEqual(imageTags(source({ branch: "Feature/Login_v2" })), [
      "sha-4c2a9e1",
      "feature-login_v2",
    ]);
    assert.equal(branchTag("release/1.x"), "release-1.x");
  });

  it("a dirty context gets only sha-<short>-dirty, plus static extras", () => {
    assert.deepEqual(imageTags(source({ dirty: true }), ["edge"]), ["sha-4c2a9e1-dirty", "edge"]);
  });
});

describe("build variants and moving tags", () => {
  const build = (extra: Record<string, unknown> = {}) =>
    ({
      context: "app",
      platforms: ["linux/amd64", "linux/arm64"],
      args: {},
      secrets: {},
      cache: { mode: "none" },
      buildOnPreview: false,
      tags: [],
      ...extra,
    }) as unknown as BuildConfig;

  it("gives a commit's plain sha tag to the plain build only; other definitions get their own", () => {
    assert.equal(buildVariant(build(), "/repo"), undefined);
    assert.equal(buildVariant(build({ dockerfile: "app/Dockerfile" }), "/repo"), undefined);
    const withArgs = buildVariant(build({ args: { FLAVOUR: "slim" } }), "/repo");
    const otherArgs = buildVariant(build({ args: { FLAVOUR: "full" } }), "/repo");
    const target = buildVariant(build({ target: "prod" }), "/repo");
    assert.match(withArgs!, /^[0-9a-f]{8}$/);
    assert.equal(new Set([withArgs, otherArgs, target]).size, 3);
    // The same definition always gets the same suffix; arg order does not matter.
    assert.equal(
      buildVariant(build({ args: { A: "1", B: "2" } }), "/repo"),
      buildVariant(build({ args: { B: "2", A: "1" } }), "/repo"),
    );
    assert.deepEqual(imageTags(source(), [], withArgs), [
      `sha-4c2a9e1-${withArgs!}`,
      "dev",
      `dev-128-g4c2a9e1-${withArgs!}`,
    ]);
  });

  it("tells the tags that move from those that name one build", () => {
    assert.deepEqual(
      ["dev", "latest", "1.2", "1", "pr-7", "feature-x", "edge"].filter(isMovingTag),
      ["dev", "latest", "1.2", "1", "pr-7", "feature-x", "edge"],
    );
    assert.deepEqual(
      [
        "sha-4c2a9e1",
        "sha-4c2a9e1-ad92ce62",
        "sha-4c2a9e1-dirty",
        "dev-128-g4c2a9e1",
        "v1.2.3",
        "1.2.3",
        "1.2.3-rc.1",
      ].filter(isMovingTag),
      [],
    );
    assert.deepEqual(
      splitTags(["r/web:sha-4c2a9e1", "r/web:dev", "r/web:v1.2.3", "r/web:latest"]),
      {
        fixed: ["r/web:sha-4c2a9e1", "r/web:v1.2.3"],
        moving: ["r/web:dev", "r/web:latest"],
      },
    );
  });

  it("moves tags with oras, credentials from the environment only", () => {
    const script = moveTagsScript({
      ref: `127.0.0.1:5000/slipway/web@sha256:${"a1".repeat(32)}`,
      tags: ["dev", "latest"],
      insecure: true,
    });
    assert.ok(
      script.includes(
        `oras tag --plain-http --registry-config "$DOCKER_CONFIG/config.json" 127.0.0.1:5000/slipway/web@sha256:${"a1".repeat(32)} dev latest\n`,
      ),
      script,
    );
    assert.ok(script.includes(`"$SLIPWAY_REGISTRY_AUTH"`));
  });
});

describe("image labels", () => {
  it("are the OCI annotations, created from the commit time", () => {
    assert.deepEqual(imageLabels("web", source()), {
      "org.opencontainers.image.created": "2026-11-20T09:30:00Z",
      "org.opencontainers.image.revision": SHA,
      "org.opencontainers.image.title": "web",
      "org.opencontainers.image.version": "dev-128-g4c2a9e1",
      "org.opencontainers.image.source": "https://github.com/acme/web",
      "org.opencontainers.image.url": "https://github.com/acme/web",
    });
  });

  it("carry the release version, and no source when it is unknown", () => {
    assert.deepEqual(imageLabels("api", source({ version: "1.2.3", url: undefined })), {
      "org.opencontainers.image.created": "2026-11-20T09:30:00Z",
      "org.opencontainers.image.revision": SHA,
      "org.opencontainers.image.title": "api",
      "org.opencontainers.image.version": "1.2.3",
    });
  });

  it("turn git remotes into web URLs", () => {
    assert.equal(repositoryUrl("git@github.com:acme/web.git"), "https://github.com/acme/web");
    assert.equal(repositoryUrl("https://github.com/acme/web.git"), "https://github.com/acme/web");
    assert.equal(
      repositoryUrl("ssh://git@gitlab.example.com/group/web"),
      "https://gitlab.example.com/group/web",
    );
    assert.equal(repositoryUrl("/srv/git/web"), undefined);
  });
});

describe("buildx equivalent of a build plan", () => {
  it("is the exact argument list, secrets by id only", async () => {
    const { buildxArgs, planBuild } = await import("../../../src/images");
    const plan = planBuild(
      "web",
      {
        context: "app",
        target: "prod",
        platforms: ["linux/amd64", "linux/arm64"],
        args: { APP_RELEASE: "r1" },
        secrets: {},
        cache: { mode: "registry" },
        buildOnPreview: false,
        tags: [],
        stamp: "commit",
      },
      { server: "127.0.0.1:5000", namespace: "slipway" },
      source(),
      "/repo",
    );
    assert.deepEqual(buildxArgs({ ...plan, secretIds: ["NPM_TOKEN"] }, { builder: "slipway" }), [
      "buildx",
      "build",
      "--builder",
      "slipway",
      "--platform",
      "linux/amd64,linux/arm64",
      "--tag",
      "127.0.0.1:5000/slipway/web:sha-4c2a9e1-b563059b",
      "--tag",
      "127.0.0.1:5000/slipway/web:dev",
      "--tag",
      "127.0.0.1:5000/slipway/web:dev-128-g4c2a9e1-b563059b",
      "--label",
      "org.opencontainers.image.created=2026-11-20T09:30:00Z",
      "--label",
      `org.opencontainers.image.revision=${SHA}`,
      "--label",
      "org.opencontainers.image.title=web",
      "--label",
      "org.opencontainers.image.version=dev-128-g4c2a9e1",
      "--label",
      "org.opencontainers.image.source=https://github.com/acme/web",
      "--label",
      "org.opencontainers.image.url=https://github.com/acme/web",
      "--target",
      "prod",
      "--build-arg",
      "SOURCE_DATE_EPOCH=1795167000",
      "--build-arg",
      "APP_RELEASE=r1",
      "--secret",
      "id=NPM_TOKEN,env=NPM_TOKEN",
      "--cache-from",
      "type=registry,ref=127.0.0.1:5000/slipway/web:buildcache",
      "--cache-to",
      "type=registry,ref=127.0.0.1:5000/slipway/web:buildcache,mode=max,image-manifest=true,oci-mediatypes=true",
      "--provenance=false",
      "--sbom=false",
      "--push",
      "--file",
      "/repo/app/Dockerfile",
      "/repo/app",
    ]);
  });
});
