/**
 * The files `slipway init` writes, as text: Pulumi.yaml (the program is the installed
 * package's), a build stack (dev: SBOM, scan gate and signature on), a promote stack (prod:
 * verification on), the workflows, and the .gitignore lines. Pure: the caller writes them.
 */
import { stringify } from "yaml";
import { ledgerFile } from "../ledger/ledger";
import type { InitAnswers } from "./answers";
import type { FoundImage } from "./dockerfiles";
import { devWorkflow, previewWorkflow, promoteWorkflow } from "./workflows";

/** Where the installed package's JSON Schema is, for editors (yaml-language-server). */
const SCHEMA_LINE =
  "# yaml-language-server: $schema=node_modules/slipway/schema/slipway.schema.json";

/** What a project's Pulumi.yaml `main` names: the program of the installed package. */
const PROGRAM_MAIN = "node_modules/slipway/stacks/main.js";

/** The lines init adds to .gitignore (those missing). */
const GITIGNORE_LINES = ["node_modules/", "cosign.key"] as const;

interface InitFile {
  /** Relative to the project root, `/`-separated. */
  readonly path: string;
  readonly text: string;
}

export interface InitProject {
  /** The Pulumi project name (the repository's folder). */
  readonly name: string;
  readonly images: readonly FoundImage[];
  readonly answers: InitAnswers;
  /** The installed Slipway's version: Pulumi.yaml names `^<version>`. */
  readonly version: string;
}

function scalar(value: string | number): string {
  return stringify(value).trimEnd();
}

const loopback = (server: string) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(server);

/** The route of an image's service: the domain for the first image, `<image>.<domain>` else. */
function routeHost(project: InitProject, index: number, stack: "dev" | "prod"): string {
  const image = project.images[index]!.name;
  const domain = project.answers.domain;
  if (domain === undefined) {
    return stack === "prod" ? `${image}.localhost` : `${image}.dev.localhost`;
  }
  const name = index === 0 ? domain : `${image}.${domain}`;
  return stack === "prod" ? name : `dev.${name}`;
}

function registryLines(project: InitProject): string {
  const { server, namespace } = project.answers.registry;
  return `  slipway:registry:
    server: ${scalar(server)}
    namespace: ${scalar(namespace)}
${
  loopback(server)
    ? "    # A loopback registry over plain HTTP: no credentials.\n    insecure: true\n"
    : "    # username and password: set with the commands slipway init printed.\n"
}`;
}

function hostLines(project: InitProject): string {
  const { host, sshKey } = project.answers;
  return `  slipway:hosts:
    - name: host-1
      address: ${scalar(host.address)}
      port: ${host.port}
      user: ${scalar(host.user)}
      # In CI the workflows write the SLIPWAY_SSH_KEY secret here.
      privateKeyFile: ${scalar(sshKey)}
`;
}

function serviceLines(project: InitProject, stack: "dev" | "prod"): string {
  const tls = project.answers.domain !== undefined;
  return `  slipway:services:
${project.images
  .map(
    (image, index) => `    ${stack === "dev" ? `${image.name}-dev` : image.name}:
      image: ${image.name}
      containerPort: ${project.answers.port}
      routes:
        - host: ${routeHost(project, index, stack)}
          tls: ${tls}
      healthPath: ${scalar(project.answers.health)}
`,
  )
  .join("")}`;
}

export function pulumiYaml(project: InitProject): string {
  return `name: ${scalar(project.name)}
description: ${scalar(`${project.name}, delivered by Slipway`)}
runtime:
  name: nodejs
  options:
    typescript: false
# The program is the installed slipway package's: this repository holds only its own code,
# the stack files and the workflows. Upgrade with npm install slipway@<version>, then set
# slipway:version below to match (another installed version is refused).
main: ${PROGRAM_MAIN}
config:
  slipway:version: ${scalar(`^${project.version}`)}
`;
}

export function devStack(project: InitProject): string {
  return `${SCHEMA_LINE}
# dev: every push to main builds the images, pushes them and deploys them
# (.github/workflows/slipway-dev.yml); each digest gets provenance, an SBOM, a passing scan
# and a signature before any host runs it. Written by slipway init.
config:
  slipway:role: build
${registryLines(project)}  slipway:images:
${project.images
  .map(
    (image) => `    ${image.name}:
      build:
        context: ${scalar(image.context)}
${image.dockerfile === undefined ? "" : `        dockerfile: ${scalar(image.dockerfile)}\n`}        platforms:
          - linux/amd64
`,
  )
  .join(
    "",
  )}${hostLines(project)}  # The hosts' edge proxy (Caddy), pinned by digest; it routes to every service below.
  slipway:edge:
    image: ${scalar(project.answers.edgeImage)}
${serviceLines(project, "dev")}  # cosignKey (and cosignPassword): secrets, set with the commands slipway init printed.
  slipway:attestations:
    provenance: max
    sbom: true
    sign: true
  # The vulnerability gate: a CRITICAL finding stops the update before any host is touched.
  slipway:scan:
    failOn: CRITICAL
`;
}

export function prodStack(project: InitProject): string {
  return `${SCHEMA_LINE}
# prod never builds: it runs the digests dev produced, once verified.
#   npx slipway promote --from dev --to prod   pins dev's digests here and runs the update
#   npx slipway rollback --stack prod          pins the previous release (${ledgerFile("prod")})
# It routes through the edge the dev stack runs on the same host; give prod its own host
# (slipway:hosts) and an edge (slipway:edge.image) when you have one. Written by slipway init.
config:
  slipway:role: promote
${registryLines(project)}  slipway:images: {}
${hostLines(project)}${serviceLines(project, "prod")}  # publicKey: cosign.pub, set with the command slipway init printed. A digest runs here only
  # when it is signed by that key and carries provenance, an SBOM and a recent passing scan.
  slipway:verify:
    require:
      - provenance
      - sbom
      - scan
    maxScanAgeDays: 7
`;
}

/** Every file init writes, in the order it lists them. */
export function initFiles(project: InitProject): InitFile[] {
  return [
    { path: "Pulumi.yaml", text: pulumiYaml(project) },
    { path: "Pulumi.dev.yaml", text: devStack(project) },
    { path: "Pulumi.prod.yaml", text: prodStack(project) },
    { path: ".github/workflows/slipway-preview.yml", text: previewWorkflow() },
    { path: ".github/workflows/slipway-dev.yml", text: devWorkflow(project.answers.sshKey) },
    {
      path: ".github/workflows/slipway-promote.yml",
      text: promoteWorkflow(project.answers.sshKey),
    },
  ];
}

/** `.gitignore` with the missing lines appended; undefined when none is missing. */
export function gitignoreWith(existing: string | undefined): string | undefined {
  const lines = (existing ?? "").split(/\r?\n/).map((line) => line.trim());
  const missing = GITIGNORE_LINES.filter((line) => !lines.includes(line));
  if (missing.length === 0) {
    return undefined;
  }
  const base = existing === undefined || existing === "" ? "" : existing.replace(/\n?$/, "\n");
  return `${base}# Slipway (slipway init)\n${missing.join("\n")}\n`;
}

/** The commands to run after init: every secret goes through `pulumi config set --secret`. */
export function nextSteps(project: InitProject): string[] {
  const registry = loopback(project.answers.registry.server)
    ? []
    : (["dev", "prod"] as const).flatMap((stack) => [
        `pulumi config set --stack ${stack} --path 'slipway:registry.username' <user>`,
        `pulumi config set --stack ${stack} --secret --path 'slipway:registry.password'   # asks for the token`,
      ]);
  return [
    "pulumi login   # or: pulumi login file://<folder> for a backend on disk",
    "pulumi stack init dev && pulumi stack init prod",
    "cosign generate-key-pair   # writes cosign.key (ignored by git) and cosign.pub",
    "pulumi config set --stack dev --secret --path 'slipway:attestations.cosignKey' < cosign.key",
    "pulumi config set --stack dev --secret --path 'slipway:attestations.cosignPassword'   # asks for it; skip for a key without one",
    "pulumi config set --stack prod --path 'slipway:verify.publicKey' < cosign.pub",
    ...registry,
    "npx slipway up --stack dev",
    "npx slipway promote --from dev --to prod",
  ];
}
