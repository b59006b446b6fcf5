/** On Docker Hub the repository exists before the first push: the ImageBuild depends on it. */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { Secret, validateConfig } from "../../../src/config";
import type { SourceInfo } from "../../../src/images";
import type { ImageBuild, ImageBuildArgs } from "../../../infra/images";
import { recordResources, settle, valueOf } from "../../helpers/mocks";

const SOURCE: SourceInfo = {
  sha: "4c2a9e1f0b7d3c5a8e6f4d2b0a9c8e7f6d5c4b3a",
  branch: "main",
  defaultBranch: "main",
  commitCount: 7,
  commitTime: "2026-11-20T09:30:00Z",
  dirty: false,
  url: "https://github.com/acme/web",
};

describe("images on Docker Hub", () => {
  it("declare the Docker Hub repository first and build the image after it", async () => {
    const recorded = await recordResources("dev");
    // The options the program gives each ImageBuild (the engine's mocks do not see dependsOn).
    const options: Record<string, pulumi.ComponentResourceOptions | undefined> = {};
    const module: { ImageBuild: typeof ImageBuild } =
      await import("../../../infra/images/image-build");
    const original = module.ImageBuild;
    module.ImageBuild = class extends original {
      constructor(name: string, args: ImageBuildArgs, opts?: pulumi.ComponentResourceOptions) {
        options[name] = opts;
        super(name, args, opts);
      }
    };
    try {
      await declareOnHub(recorded, options);
    } finally {
      module.ImageBuild = original;
    }
  });
});

async function declareOnHub(
  recorded: Awaited<ReturnType<typeof recordResources>>,
  options: Record<string, pulumi.ComponentResourceOptions | undefined>,
): Promise<void> {
  const { declareImages } = await import("../../../stacks/program");
  const config = validateConfig("dev", {
    registry: {
      server: "docker.io",
      namespace: "acme",
      username: "acme-bot",
      password: new Secret("dckr_pat_x"),
      repositories: { web: { visibility: "private" } },
    },
    images: { web: { build: { context: "app" } } },
  });
  const { images, repositories } = declareImages(config, {
    root: "/work/project",
    source: SOURCE,
  });
  await valueOf(images.web!);
  await settle();
  const names = recorded.map((r) => `${r.type} ${r.name}`);
  assert.ok(
    names.indexOf("pulumi-nodejs:dynamic/slipway:DockerHubRepository web-hub") <
      names.indexOf("docker-build:index:Image web-image"),
    names.join("\n"),
  );
  assert.deepEqual(options.web?.dependsOn, [repositories.web]);
}
