import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { imageTags, readSource } from "../../../src/images";

/** A git checkout with one commit on main, tagged with each of `tags`. */
function repoWithTags(tags: readonly string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-source-"));
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", ...args], {
      cwd: root,
      stdio: "ignore",
    });
  git("init", "-q", "-b", "main");
  fs.mkdirSync(path.join(root, "app"));
  fs.writeFileSync(path.join(root, "app", "Dockerfile"), "FROM scratch\n");
  git("add", "-A");
  git("commit", "-qm", "one");
  for (const tag of tags) {
    git("tag", tag);
  }
  return root;
}

describe("the commit being built", () => {
  const roots: string[] = [];
  after(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));
  const read = (tags: readonly string[]) => {
    const root = repoWithTags(tags);
    roots.push(root);
    return readSource({ root, paths: ["app"], env: {} });
  };

  it("takes the release over its release candidate on the same commit, and publishes latest, 1.2 and 1", () => {
    const source = read(["v1.2.3-rc.1", "v1.2.3"]);
    assert.equal(source.version, "1.2.3");
    const tags = imageTags(source).filter(
      (tag) => !tag.startsWith("sha-") && !tag.startsWith("dev"),
    );
    assert.deepEqual(tags, ["v1.2.3", "1.2.3", "1.2", "1", "latest"]);
  });

  it("orders versions as semver does: 1.10.0 over 1.9.0, rc.10 over rc.9", () => {
    assert.equal(read(["v1.9.0", "v1.10.0"]).version, "1.10.0");
    assert.equal(read(["v2.0.0-rc.9", "v2.0.0-rc.10"]).version, "2.0.0-rc.10");
    assert.equal(read(["v1.2", "release-3", "v01.2.3"]).version, undefined);
  });
});

describe("an image stamped by its context (stamp: context)", () => {
  it("takes its labels, time and per-build tags from the last commit that changed its context", async () => {
    const { planBuild, stampSource } = await import("../../../src/images");
    const root = repoWithTags([]);
    try {
      const git = (...args: string[]) =>
        execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", ...args], {
          cwd: root,
          encoding: "utf8",
        }).trim();
      const first = git("rev-parse", "HEAD");
      fs.mkdirSync(path.join(root, "api"));
      fs.writeFileSync(path.join(root, "api", "Dockerfile"), "FROM scratch\n");
      git("add", "-A");
      git("commit", "-qm", "two: api only");
      const head = git("rev-parse", "HEAD");
      const source = readSource({
        root,
        paths: ["app", "api"],
        stampedContexts: ["app", "api"],
        env: {},
      });
      assert.equal(source.sha, head);
      // Only the contexts of images stamped by their context are read.
      assert.deepEqual(
        Object.keys(readSource({ root, paths: ["app", "api"], env: {} }).contexts ?? {}),
        [],
      );
      assert.equal(source.contexts?.app?.sha, first);
      assert.equal(source.contexts?.app?.commitCount, 1);
      assert.equal(source.contexts?.api?.sha, head);
      const build = {
        context: "app",
        platforms: ["linux/amd64" as const],
        args: {},
        secrets: {},
        cache: { mode: "none" as const },
        buildOnPreview: false,
        tags: [],
      };
      const byContext = planBuild(
        "web",
        { ...build, stamp: "context" },
        { server: "127.0.0.1:5000" },
        source,
        root,
      );
      const byCommit = planBuild(
        "web",
        { ...build, stamp: "commit" },
        { server: "127.0.0.1:5000" },
        source,
        root,
      );
      assert.equal(byContext.revision, first);
      assert.equal(byContext.labels["org.opencontainers.image.revision"], first);
      assert.equal(
        byContext.labels["org.opencontainers.image.version"],
        `dev-1-g${first.slice(0, 7)}`,
      );
      assert.equal(byCommit.labels["org.opencontainers.image.revision"], head);
      assert.notEqual(byContext.buildArgs.SOURCE_DATE_EPOCH, undefined);
      // Per-build tags name the commit the digest comes from: the context's with
      // `stamp: context` (HEAD did not touch app, so web keeps its tags and its build).
      assert.deepEqual(byContext.tags, [
        `127.0.0.1:5000/web:sha-${first.slice(0, 7)}`,
        "127.0.0.1:5000/web:dev",
        `127.0.0.1:5000/web:dev-1-g${first.slice(0, 7)}`,
      ]);
      assert.deepEqual(byCommit.tags, [
        `127.0.0.1:5000/web:sha-${head.slice(0, 7)}`,
        "127.0.0.1:5000/web:dev",
        `127.0.0.1:5000/web:dev-2-g${head.slice(0, 7)}`,
      ]);
      // `stamp: none` too, with no commit in its labels.
      const none = planBuild(
        "web",
        { ...build, stamp: "none" },
        { server: "127.0.0.1:5000" },
        source,
        root,
      );
      assert.deepEqual(none.tags, byContext.tags);
      assert.equal(none.revision, first);
      assert.equal(none.buildArgs.SOURCE_DATE_EPOCH, "0");
      assert.equal(none.labels["org.opencontainers.image.revision"], undefined);
      // A release version on HEAD tags every image, touched or not.
      const versioned = planBuild(
        "web",
        { ...build, stamp: "context" },
        { server: "127.0.0.1:5000" },
        { ...source, version: "1.4.0" },
        root,
      );
      assert.deepEqual(versioned.tags, [
        ...byContext.tags,
        "127.0.0.1:5000/web:v1.4.0",
        "127.0.0.1:5000/web:1.4.0",
        "127.0.0.1:5000/web:1.4",
        "127.0.0.1:5000/web:1",
        "127.0.0.1:5000/web:latest",
      ]);
      assert.equal(
        versioned.labels["org.opencontainers.image.version"],
        `dev-1-g${first.slice(0, 7)}`,
      );
      assert.deepEqual(stampSource(source, { stamp: "context", context: "api" }), {
        ...source,
        commitCount: 2,
        dirty: false,
      });
      // A Dockerfile outside the context is part of it: its commits move the stamp too.
      fs.mkdirSync(path.join(root, "docker"));
      fs.writeFileSync(path.join(root, "docker", "web.Dockerfile"), "FROM scratch\n");
      git("add", "-A");
      git("commit", "-qm", "three: web's Dockerfile, outside app/");
      const third = git("rev-parse", "HEAD");
      const { stampedPaths } = await import("../../../src/images");
      const paths = stampedPaths(
        [
          { ...build, stamp: "context", dockerfile: "docker/web.Dockerfile" },
          { ...build, context: "api", stamp: "none" },
          { ...build, context: "other", stamp: "commit" },
        ],
        root,
      );
      assert.deepEqual(paths, {
        stampedContexts: ["app", "api"],
        contextExtras: { app: ["docker/web.Dockerfile"] },
      });
      const withDockerfile = readSource({ root, paths: ["app", "api"], ...paths, env: {} });
      assert.equal(withDockerfile.contexts?.app?.sha, third);
      assert.equal(withDockerfile.contexts?.api?.sha, head);
      // Uncommitted changes in api make api dirty, not web.
      fs.writeFileSync(path.join(root, "api", "main.go"), "package main\n");
      const dirty = readSource({
        root,
        paths: ["app", "api"],
        stampedContexts: ["app", "api"],
        env: {},
      });
      assert.equal(dirty.dirty, true);
      assert.equal(stampSource(dirty, { stamp: "context", context: "app" }).dirty, false);
      assert.equal(stampSource(dirty, { stamp: "context", context: "api" }).dirty, true);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
