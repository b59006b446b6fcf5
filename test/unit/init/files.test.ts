import { strict as assert } from "node:assert";
import * as crypto from "node:crypto";
import { parse } from "yaml";
import { Secret, validateConfig } from "../../../src/config";
import {
  ACTIONS,
  devStack,
  gitignoreWith,
  initFiles,
  nextSteps,
  prodStack,
  pulumiYaml,
  type InitProject,
} from "../../../src/init";

const EDGE = `docker.io/library/caddy:2@sha256:${"c".repeat(64)}`;

const PROJECT: InitProject = {
  name: "whoami",
  version: "0.1.0",
  images: [{ name: "whoami", context: "." }],
  answers: {
    registry: { server: "ghcr.io", namespace: "acme" },
    host: { user: "deploy", address: "203.0.113.10", port: 22 },
    sshKey: "~/.ssh/id_ed25519",
    port: 8080,
    health: "/health",
    edgeImage: EDGE,
    domain: "whoami.example.com",
  },
};

const config = (text: string): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries((parse(text) as { config: Record<string, unknown> }).config).map(([k, v]) => [
      k.replace(/^slipway:/, ""),
      v,
    ]),
  );

describe("slipway init: the files it writes", () => {
  it("Pulumi.yaml runs the installed package's program and names its version", () => {
    assert.equal(
      pulumiYaml(PROJECT),
      `name: whoami
description: whoami, delivered by Slipway
runtime:
  name: nodejs
  options:
    typescript: false
# The program is the installed slipway package's: this repository holds only its own code,
# the stack files and the workflows. Upgrade with npm install slipway@<version>, then set
# slipway:version below to match (another installed version is refused).
main: node_modules/slipway/stacks/main.js
config:
  slipway:version: ^0.1.0
`,
    );
  });

  it("the build stack has the SBOM, the scan gate and the signature on", () => {
    assert.equal(
      devStack(PROJECT),
      `# yaml-language-server: $schema=node_modules/slipway/schema/slipway.schema.json
# dev: every push to main builds the images, pushes them and deploys them
# (.github/workflows/slipway-dev.yml); each digest gets provenance, an SBOM, a passing scan
# and a signature before any host runs it. Written by slipway init.
config:
  slipway:role: build
  slipway:registry:
    server: ghcr.io
    namespace: acme
    # username and password: set with the commands slipway init printed.
  slipway:images:
    whoami:
      build:
        context: .
        platforms:
          - linux/amd64
  slipway:hosts:
    - name: host-1
      address: 203.0.113.10
      port: 22
      user: deploy
      # In CI the workflows write the SLIPWAY_SSH_KEY secret here.
      privateKeyFile: ~/.ssh/id_ed25519
  # The hosts' edge proxy (Caddy), pinned by digest; it routes to every service below.
  slipway:edge:
    image: ${EDGE}
  slipway:services:
    whoami-dev:
      image: whoami
      containerPort: 8080
      routes:
        - host: dev.whoami.example.com
          tls: true
      healthPath: /health
  # cosignKey (and cosignPassword): secrets, set with the commands slipway init printed.
  slipway:attestations:
    provenance: max
    sbom: true
    sign: true
  # The vulnerability gate: a CRITICAL finding stops the update before any host is touched.
  slipway:scan:
    failOn: CRITICAL
`,
    );
  });

  it("the promote stack verifies every digest it runs", () => {
    assert.equal(
      prodStack({
        ...PROJECT,
        images: [
          ...PROJECT.images,
          { name: "worker", context: ".", dockerfile: "Dockerfile.worker" },
        ],
        answers: { ...PROJECT.answers, registry: { server: "127.0.0.1:5000", namespace: "acme" } },
      }),
      `# yaml-language-server: $schema=node_modules/slipway/schema/slipway.schema.json
# prod never builds: it runs the digests dev produced, once verified.
#   npx slipway promote --from dev --to prod   pins dev's digests here and runs the update
#   npx slipway rollback --stack prod          pins the previous release (stacks/releases/prod.yaml)
# It routes through the edge the dev stack runs on the same host; give prod its own host
# (slipway:hosts) and an edge (slipway:edge.image) when you have one. Written by slipway init.
config:
  slipway:role: promote
  slipway:registry:
    server: 127.0.0.1:5000
    namespace: acme
    # A loopback registry over plain HTTP: no credentials.
    insecure: true
  slipway:images: {}
  slipway:hosts:
    - name: host-1
      address: 203.0.113.10
      port: 22
      user: deploy
      # In CI the workflows write the SLIPWAY_SSH_KEY secret here.
      privateKeyFile: ~/.ssh/id_ed25519
  slipway:services:
    whoami:
      image: whoami
      containerPort: 8080
      routes:
        - host: whoami.example.com
          tls: true
      healthPath: /health
    worker:
      image: worker
      containerPort: 8080
      routes:
        - host: worker.whoami.example.com
          tls: true
      healthPath: /health
  # publicKey: cosign.pub, set with the command slipway init printed. A digest runs here only
  # when it is signed by that key and carries provenance, an SBOM and a recent passing scan.
  slipway:verify:
    require:
      - provenance
      - sbom
      - scan
    maxScanAgeDays: 7
`,
    );
  });

  it("writes stacks Slipway accepts once the printed secrets are set", () => {
    const dev = config(devStack(PROJECT));
    (dev.attestations as Record<string, unknown>).cosignKey = new Secret("cosign key");
    (dev.registry as Record<string, unknown>).username = "acme-bot";
    (dev.registry as Record<string, unknown>).password = new Secret("token");
    const built = validateConfig("dev", dev, { installedVersion: "0.1.0" });
    assert.deepEqual(
      [built.role, built.attestations.sign, built.attestations.sbom, built.scan?.failOn],
      ["build", true, true, "CRITICAL"],
    );

    const prod = config(prodStack(PROJECT));
    const { publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    (prod.verify as Record<string, unknown>).publicKey = publicKey
      .export({ type: "spki", format: "pem" })
      .toString();
    prod.images = { whoami: { pin: { digest: `sha256:${"d".repeat(64)}` } } };
    const promoted = validateConfig("prod", prod, { installedVersion: "0.1.0" });
    assert.deepEqual(
      [promoted.role, promoted.verify?.require, promoted.services.map((s) => s.name)],
      ["promote", ["provenance", "sbom", "scan"], ["whoami"]],
    );
  });

  it("pins every third-party action of the workflows by full commit SHA, with its version", () => {
    const files = initFiles(PROJECT);
    assert.deepEqual(
      files.map((file) => file.path),
      [
        "Pulumi.yaml",
        "Pulumi.dev.yaml",
        "Pulumi.prod.yaml",
        ".github/workflows/slipway-preview.yml",
        ".github/workflows/slipway-dev.yml",
        ".github/workflows/slipway-promote.yml",
      ],
    );
    const known = new Map(Object.values(ACTIONS).map((a) => [`${a.uses}@${a.sha}`, a.version]));
    const uses = files
      .filter((file) => file.path.startsWith(".github/"))
      .flatMap((file) => [...file.text.matchAll(/uses: (\S+)(.*)$/gm)])
      .map((match) => [match[1]!, match[2]!] as const);
    assert.equal(uses.length, 16);
    for (const [ref, comment] of uses) {
      assert.match(ref, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, ref);
      assert.equal(comment, ` # ${known.get(ref)}`, ref);
    }
    const dev = parse(files[4]!.text) as {
      jobs: { up: { environment: string; steps: { run?: string }[] } };
    };
    assert.equal(dev.jobs.up.environment, "dev");
    assert.deepEqual(
      dev.jobs.up.steps.filter((step) => step.run?.startsWith("npx slipway")).map((s) => s.run),
      ["npx slipway up --stack dev"],
    );
    const promote = parse(files[5]!.text) as { jobs: { release: { environment: string } } };
    assert.equal(promote.jobs.release.environment, "production");
  });

  it("appends only the missing .gitignore lines", () => {
    assert.equal(gitignoreWith(undefined), "# Slipway (slipway init)\nnode_modules/\ncosign.key\n");
    assert.equal(
      gitignoreWith("node_modules/\n*.log"),
      "node_modules/\n*.log\n# Slipway (slipway init)\ncosign.key\n",
    );
    assert.equal(gitignoreWith("cosign.key\nnode_modules/\n"), undefined);
  });

  it("prints every secret as a pulumi config set --secret step, never as a value", () => {
    assert.deepEqual(nextSteps(PROJECT), [
      "pulumi login   # or: pulumi login file://<folder> for a backend on disk",
      "pulumi stack init dev && pulumi stack init prod",
      "cosign generate-key-pair   # writes cosign.key (ignored by git) and cosign.pub",
      "pulumi config set --stack dev --secret --path 'slipway:attestations.cosignKey' < cosign.key",
      "pulumi config set --stack dev --secret --path 'slipway:attestations.cosignPassword'   # asks for it; skip for a key without one",
      "pulumi config set --stack prod --path 'slipway:verify.publicKey' < cosign.pub",
      "pulumi config set --stack dev --path 'slipway:registry.username' <user>",
      "pulumi config set --stack dev --secret --path 'slipway:registry.password'   # asks for the token",
      "pulumi config set --stack prod --path 'slipway:registry.username' <user>",
      "pulumi config set --stack prod --secret --path 'slipway:registry.password'   # asks for the token",
      "npx slipway up --stack dev",
      "npx slipway promote --from dev --to prod",
    ]);
  });
});
