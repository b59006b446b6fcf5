import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findImages } from "../../../src/init";

describe("slipway init: images from Dockerfiles", () => {
  let root: string;
  beforeEach(() => {
    root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "slipway-init-")), "My_Shop");
    fs.mkdirSync(root);
  });
  afterEach(() => fs.rmSync(path.dirname(root), { recursive: true, force: true }));

  const touch = (file: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), "FROM scratch\n");
  };

  it("names the root's image after the repository and the others after their file or folder", () => {
    touch("Dockerfile");
    touch("Dockerfile.worker");
    touch("services/api/Dockerfile");
    touch("tools/admin.Dockerfile");
    touch("node_modules/dep/Dockerfile");
    touch(".hidden/Dockerfile");
    assert.deepEqual(findImages(root), [
      { name: "my-shop", context: "." },
      { name: "worker", context: ".", dockerfile: "Dockerfile.worker" },
      { name: "api", context: "services/api" },
      { name: "admin", context: "tools", dockerfile: "tools/admin.Dockerfile" },
    ]);
  });

  it("makes names unique", () => {
    touch("a/web/Dockerfile");
    touch("b/web/Dockerfile");
    assert.deepEqual(findImages(root), [
      { name: "web", context: "a/web" },
      { name: "web-2", context: "b/web" },
    ]);
  });

  it("finds none in a repository without a Dockerfile", () => {
    touch("README.md");
    assert.deepEqual(findImages(root), []);
  });
});
