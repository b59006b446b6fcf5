/**
 * Runs the real `slipway` CLI code in-process against a temporary project: a fake stack
 * driver (no Pulumi engine), a fake registry over real HTTP, fake hosts, a fixed clock.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  DriverError,
  main,
  type CliDeps,
  type HostReader,
  type HostRun,
  type StackDriver,
  type StackState,
  type UpdateInfo,
  type UpOptions,
  type UpOutcome,
} from "../../../src/cli";
import { configFromFile, stackFilePath } from "../../../src/cli/stack-config";
import type { ConfigSource, HostConfig } from "../../../src/config";
import { ledgerFile, parseLedger, readPins, releaseOf } from "../../../src/ledger";
import type { ImageOutput } from "../../../src/outputs";
import { releaseImages } from "../../../stacks/outputs";
import { RegistryClient } from "../../../src/registry";
import { ROOT } from "../../helpers/stack-files";
import { FakeRegistry } from "../registry/fake-registry";

export const NOW = new Date("2025-03-01T10:00:00.000Z");

/** `sha256:` + 64 hex digits made from `n`. */
export const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, "0")}`;

/** The stand-in the fake driver gives for a `secure:` value, as `pulumi config` would decrypt it. */
export const decrypted = (where: string): string => `decrypted ${where}`;

/** A fake of Pulumi: config from the stack files, outputs and history from the test. */
export class FakeDriver implements StackDriver {
  readonly lastUpdates: Record<string, UpdateInfo | undefined> = {};
  readonly stackOutputs: Record<string, Record<string, unknown>> = {};
  /** Stack files as `up` saw them, and the URNs it was told to replace, one per call. */
  readonly ups: { stack: string; stackFile: string; replace?: readonly string[] }[] = [];
  /** Thrown by the next `up`. */
  upError: DriverError | undefined;
  /** Pending operations each stack's checkpoint holds (an interrupted update). */
  readonly pending: Record<string, string[]> = {};
  /** What `pulumi stack select` selected. */
  selected: string | undefined;
  #version = 40;

  constructor(private readonly root: string) {}

  config(stack: string): Promise<ConfigSource> {
    const text = fs.readFileSync(stackFilePath(this.root, stack), "utf8");
    return Promise.resolve(configFromFile(this.root, text, decrypted));
  }

  outputs(stack: string): Promise<Record<string, unknown>> {
    const outputs = this.stackOutputs[stack];
    return outputs === undefined
      ? Promise.reject(
          new DriverError(
            "not-found",
            `stack ${stack} does not exist on the current Pulumi backend`,
          ),
        )
      : Promise.resolve(outputs);
  }

  async state(stack: string): Promise<StackState> {
    return { outputs: await this.outputs(stack), pending: this.pending[stack] ?? [] };
  }

  lastUpdate(stack: string): Promise<UpdateInfo | undefined> {
    return Promise.resolve(this.lastUpdates[stack]);
  }

  selectedStack(): Promise<string | undefined> {
    return Promise.resolve(this.selected);
  }

  /** Like the program: exports each pinned image as repository, digest, ref, tags, revision. */
  up(stack: string, options: UpOptions): Promise<UpOutcome> {
    const stackFile = fs.readFileSync(stackFilePath(this.root, stack), "utf8");
    this.ups.push({
      stack,
      stackFile,
      ...(options.replace === undefined ? {} : { replace: options.replace }),
    });
    options.onOutput(`Updating (${stack})\n`);
    if (this.upError !== undefined) {
      const error = this.upError;
      this.upError = undefined;
      return Promise.reject(error);
    }
    const server = /server: (\S+)/.exec(stackFile)![1]!;
    const pins = readPins(stackFile);
    const images = Object.fromEntries(
      Object.entries(pins).map(([name, pin]) => {
        const repository = pin.repository ?? `${server}/acme/${name}`;
        return [
          name,
          {
            repository,
            digest: pin.digest,
            ref: `${repository}@${pin.digest}`,
            tags: pin.tag === undefined ? [] : [`${repository}:${pin.tag}`],
            platforms: [],
            ...(pin.revision === undefined ? {} : { revision: pin.revision }),
          },
        ];
      }),
    );
    // The program's own release and ledger outputs, from the ledger as recorded now.
    const ledgerText = fs.existsSync(path.join(this.root, ledgerFile(stack)))
      ? fs.readFileSync(path.join(this.root, ledgerFile(stack)), "utf8")
      : undefined;
    const ledger =
      ledgerText === undefined ? { stack, releases: [] } : parseLedger(ledgerText, stack);
    const release =
      releaseOf(ledger, releaseImages(images as Record<string, ImageOutput>), pins) ?? null;
    options.onOutput("Resources: 4 unchanged\n");
    this.#version += 1;
    const outputs = { images, release };
    this.stackOutputs[stack] = outputs;
    this.lastUpdates[stack] = { result: "succeeded", version: this.#version };
    return Promise.resolve({
      version: this.#version,
      seconds: 12.5,
      outputs,
      changed: release !== null,
    });
  }
}

/**
 * Hosts that answer every script with what the test put in `answers` (by host name; a list:
 * one answer per run, the last one repeated; none: an empty stdout), and keep the scripts
 * they were given.
 */
export class FakeHosts implements HostReader {
  readonly answers: Record<string, HostRun | HostRun[]> = {};
  readonly runs: { host: string; script: string }[] = [];

  run(host: HostConfig, script: string): Promise<HostRun> {
    this.runs.push({ host: host.name, script });
    const answer = this.answers[host.name];
    const next = Array.isArray(answer) ? (answer.length > 1 ? answer.shift() : answer[0]) : answer;
    return Promise.resolve(next ?? { kind: "ran", stdout: "" });
  }
}

export interface Project {
  readonly root: string;
  readonly registry: FakeRegistry;
  readonly driver: FakeDriver;
  readonly hosts: FakeHosts;
  read(file: string): string;
  write(file: string, text: string): void;
  exists(file: string): boolean;
  close(): Promise<void>;
}

/** A temporary project with `Pulumi.yaml`, build contexts, and the given files (`REGISTRY` replaced). */
export async function project(files: Record<string, string>): Promise<Project> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-cli-"));
  const registry = await new FakeRegistry({
    auth: "bearer",
    username: "acme-bot",
    password: decrypted("slipway:registry.password"),
  }).start();
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
  for (const context of ["app", "edge"]) {
    fs.mkdirSync(path.join(root, context));
    fs.writeFileSync(path.join(root, context, "Dockerfile"), "FROM scratch\n");
  }
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text.split("REGISTRY").join(registry.server));
  };
  for (const [file, text] of Object.entries(files)) {
    write(file, text);
  }
  const driver = new FakeDriver(root);
  const hosts = new FakeHosts();
  return {
    root,
    registry,
    driver,
    hosts,
    read: (file) => fs.readFileSync(path.join(root, file), "utf8"),
    write,
    exists: (file) => fs.existsSync(path.join(root, file)),
    close: async () => {
      await registry.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `slipway <argv>` in the project and captures its output and exit code. */
export async function slipway(
  target: Project,
  argv: readonly string[],
  overrides: Partial<CliDeps> = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    root: target.root,
    driver: target.driver,
    registry: (options) => new RegistryClient(options),
    hosts: target.hosts,
    releaseRoot: "/var/lib/slipway",
    now: () => NOW,
    user: "alice",
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    ...overrides,
  });
  return { code, stdout, stderr };
}

export const DEV = `# dev builds every push to main.
config:
  slipway:role: build
  slipway:registry:
    server: REGISTRY
    namespace: acme
    insecure: true
    username: acme-bot
    password:
      secure: v1:dev-password
  slipway:images:
    web:
      build:
        context: app
        platforms:
          - linux/amd64
          - linux/arm64
    edge:
      build:
        context: edge
        stamp: none
        platforms:
          - linux/amd64
          - linux/arm64
`;

export const PROD = `# prod never builds: it runs the digests that dev produced.
config:
  slipway:role: promote
  slipway:registry:
    server: REGISTRY
    namespace: acme
    insecure: true
    username: acme-bot
    password:
      secure: v1:prod-password
  slipway:images:
    web:
      pin:
        # Pinned by \`slipway promote\`; do not edit by hand.
        digest: ${digest(1)}
        tag: sha-0000001
    edge:
      pin:
        digest: ${digest(2)}
  slipway:hosts:
    - name: web-1
      address: 203.0.113.10
      user: deploy
      privateKey:
        secure: v1:key-1
    - name: web-2
      address: 203.0.113.11
      user: deploy
      privateKey:
        secure: v1:key-2
  slipway:edge:
    image: edge
  slipway:services:
    web:
      routes:
        - host: web.example.com
          tls: true
`;
