import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Secret, validateConfig } from "../../../src/config";
import type { SourceInfo } from "../../../src/images";
import {
  DIGEST_A,
  recordResources,
  secrecy,
  settle,
  valueOf,
  type Recorded,
} from "../../helpers/mocks";

const ROOT = "/work/project";
const SOURCE: SourceInfo = {
  sha: "4c2a9e1f0b7d3c5a8e6f4d2b0a9c8e7f6d5c4b3a",
  branch: "main",
  defaultBranch: "main",
  commitCount: 128,
  commitTime: "2026-11-20T09:30:00Z",
  dirty: false,
  url: "https://github.com/acme/web",
};

function devConfig() {
  return validateConfig("dev", {
    registry: {
      server: "ghcr.io",
      namespace: "acme",
      username: "bot",
      password: new Secret("registry-pw"),
    },
    images: {
      web: {
        build: {
          context: "app",
          target: "prod",
          args: { APP_MODE: "production" },
          secrets: { NPM_TOKEN: new Secret("npm-token-value") },
        },
      },
    },
  });
}

describe("ImageBuild in a build stack", () => {
  let recorded: Recorded[];
  let outputs: Record<string, pulumi.Output<any>>;

  before(async () => {
    recorded = await recordResources("dev");
    const { declareImages } = await import("../../../stacks/program");
    outputs = declareImages(devConfig(), { root: ROOT, source: SOURCE }).images;
    await valueOf(outputs.web!);
    await settle();
  });

  it("declares the ImageBuild with its Image, and the Attestation with its command", () => {
    assert.deepEqual(recorded.map((r) => `${r.type} ${r.name}`).sort(), [
      "command:local:Command web-attest",
      "command:local:Command web-check",
      "docker-build:index:Image web-image",
      "slipway:image:Attestation web",
      "slipway:image:ImageBuild web",
      "slipway:registry:RegistryRepository web",
    ]);
  });

  it("attests the pushed digest, with the registry login only in its secret environment", () => {
    const attest = recorded.find((r) => r.name === "web-attest")!;
    const { create, environment, ...rest } = attest.inputs;
    assert.deepEqual(rest, {
      interpreter: ["/bin/sh", "-c"],
      triggers: [`ghcr.io/acme/web@${DIGEST_A}`],
      addPreviousOutputInEnv: false,
      logging: "stdoutAndStderr",
    });
    assert.deepEqual(secrecy(environment), {
      secret: { SLIPWAY_REGISTRY_AUTH: Buffer.from("bot:registry-pw").toString("base64") },
    });
    assert.ok(
      String(create).includes(`oras attach --registry-config "$DOCKER_CONFIG/config.json"`),
    );
    assert.ok(
      !String(create).includes("registry-pw") && !String(create).includes("npm-token-value"),
    );
  });

  it("gives the Image exact inputs: platforms, tags, labels, cache, push", () => {
    const image = recorded.find((r) => r.type === "docker-build:index:Image")!;
    const { secrets, registries, ...rest } = image.inputs;
    assert.deepEqual(rest, {
      push: true,
      // Only the tags that name this build: `dev` moves after the hosts are healthy. The
      // build has a target and args, so its sha tags carry its definition (ad92ce62).
      tags: ["ghcr.io/acme/web:sha-4c2a9e1-ad92ce62", "ghcr.io/acme/web:dev-128-g4c2a9e1-ad92ce62"],
      labels: {
        "org.opencontainers.image.created": "2026-11-20T09:30:00Z",
        "org.opencontainers.image.revision": SOURCE.sha,
        "org.opencontainers.image.title": "web",
        "org.opencontainers.image.version": "dev-128-g4c2a9e1",
        "org.opencontainers.image.source": "https://github.com/acme/web",
        "org.opencontainers.image.url": "https://github.com/acme/web",
      },
      platforms: ["linux/amd64", "linux/arm64"],
      context: { location: path.join(ROOT, "app") },
      dockerfile: { location: path.join(ROOT, "app", "Dockerfile") },
      target: "prod",
      buildArgs: { SOURCE_DATE_EPOCH: "1795167000", APP_MODE: "production" },
      ignoreSecretsInDiffCalculation: ["NPM_TOKEN"],
      cacheFrom: [{ registry: { ref: "ghcr.io/acme/web:buildcache" } }],
      cacheTo: [
        {
          registry: {
            ref: "ghcr.io/acme/web:buildcache",
            mode: "max",
            imageManifest: true,
            ociMediaTypes: true,
          },
        },
      ],
      buildOnPreview: false,
      network: "default",
    });
    assert.deepEqual(secrecy(secrets), { secret: { NPM_TOKEN: "npm-token-value" } });
    assert.deepEqual(secrecy(registries), {
      secret: [{ address: "ghcr.io", username: "bot", password: "registry-pw" }],
    });
  });

  it("retains the image on delete so rollbacks keep their tags", async () => {
    const { ImageBuild } = await import("../../../infra/images");
    const options: Record<string, pulumi.CustomResourceOptions> = {};
    const probe = new ImageBuild(
      "probe",
      {
        repository: "ghcr.io/acme/probe",
        tags: ["ghcr.io/acme/probe:x"],
        labels: {},
        platforms: ["linux/amd64"],
        context: "/c",
        dockerfile: "/c/Dockerfile",
        registryServer: "ghcr.io",
      },
      {
        transformations: [
          (args) => {
            options[args.type] = args.opts;
            return undefined;
          },
        ],
      },
    );
    await valueOf(probe.ref);
    assert.equal(options["docker-build:index:Image"]?.retainOnDelete, true);
  });

  it("exports repository, digest and ref = repository@digest", async () => {
    assert.deepEqual(await valueOf(outputs.web!), {
      repository: "ghcr.io/acme/web",
      digest: DIGEST_A,
      ref: `ghcr.io/acme/web@${DIGEST_A}`,
      tags: [
        "ghcr.io/acme/web:sha-4c2a9e1-ad92ce62",
        "ghcr.io/acme/web:dev",
        "ghcr.io/acme/web:dev-128-g4c2a9e1-ad92ce62",
      ],
      platforms: ["linux/amd64", "linux/arm64"],
      revision: SOURCE.sha,
    });
  });
});

describe("images in a promote stack", () => {
  it("declares no Image at all, only the repository check of the pin, and exports the pinned refs", async () => {
    const recorded = await recordResources("prod");
    const { declareImages } = await import("../../../stacks/program");
    const digest = `sha256:${"b2".repeat(32)}`;
    const config = validateConfig("prod", {
      role: "promote",
      registry: { server: "ghcr.io", namespace: "acme" },
      images: { web: { pin: { digest, tag: "sha-4c2a9e1", revision: SOURCE.sha } } },
    });
    const outputs = declareImages(config, { root: ROOT }).images;
    assert.deepEqual(await valueOf(outputs.web!), {
      repository: "ghcr.io/acme/web",
      digest,
      ref: `ghcr.io/acme/web@${digest}`,
      tags: ["ghcr.io/acme/web:sha-4c2a9e1"],
      platforms: [],
      revision: SOURCE.sha,
    });
    await settle();
    assert.deepEqual(recorded.map((r) => `${r.type} ${r.name}`).sort(), [
      "command:local:Command web-check",
      "slipway:registry:RegistryRepository web",
    ]);
  });
});
