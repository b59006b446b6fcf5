/**
 * Unchanged digest, no work: the composed program for the local stack under Pulumi's mocks, at
 * two commits where the second changes only web's context. Every resource about the other
 * images (their docker-build Image, attestation, SBOM, scan, moving tags, repository check,
 * accessories, edge and host releases) gets exactly the inputs it had: the engine then finds
 * no diff (docker-build's Image diffs its inputs and its context hash; a command re-runs only
 * on an input change), so nothing is built, pushed, signed or run for them.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { SourceInfo } from "../../src/images";
import { fakeHome } from "../helpers/home";
import { engineConfig } from "../helpers/stack-files";
import { recordResources, settle, valueOf, type Recorded } from "../helpers/mocks";

const PROGRAM = "../../stacks/index";
// The module stacks/index.ts reads the commit with (src/images re-exports it).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sourceModule = require("../../src/images/source") as {
  readSource: (...args: unknown[]) => SourceInfo;
};

const sha = (digit: string) => digit.repeat(40);
const context = (digit: string, count: number) => ({
  sha: sha(digit),
  commitTime: `2026-12-0${count}T10:00:00Z`,
  commitCount: count,
  dirty: false,
});
/** HEAD at commit 5; web's context last changed at 4, the others earlier. */
const BEFORE: SourceInfo = {
  sha: sha("5"),
  branch: "main",
  defaultBranch: "main",
  commitCount: 5,
  commitTime: "2026-12-05T10:00:00Z",
  dirty: false,
  url: "https://github.com/acme/shop",
  contexts: {
    "examples/app": context("4", 4),
    "examples/api": context("3", 3),
    "examples/edge": context("2", 2),
    "examples/accessories/postgres": context("1", 1),
    "examples/accessories/redis": context("1", 1),
  },
};
/** Commit 6 changes only examples/app/ (web). */
const AFTER: SourceInfo = {
  ...BEFORE,
  sha: sha("6"),
  commitCount: 6,
  commitTime: "2026-12-06T10:00:00Z",
  contexts: { ...BEFORE.contexts, "examples/app": context("6", 6) },
};

/** As BuildKit: the digest follows what goes into the image (context, labels, args), not tags. */
function digestOf(inputs: Record<string, any>): string {
  const { context, labels, buildArgs, platforms, target } = inputs;
  const made = JSON.stringify({ context, labels, buildArgs, platforms, target });
  return `sha256:${createHash("sha256").update(made).digest("hex")}`;
}

/** Each resource's inputs, by type and name, for the local stack at `source`. */
async function inputsAt(source: SourceInfo): Promise<Map<string, string>> {
  const original = sourceModule.readSource;
  sourceModule.readSource = () => source;
  try {
    const recorded: Recorded[] = await recordResources("local", { digestOf });
    pulumi.runtime.setAllConfig(engineConfig("local"), []);
    delete require.cache[require.resolve(PROGRAM)];
    const program = (await import(PROGRAM)) as Record<string, pulumi.Output<unknown>>;
    await valueOf(program.images!);
    await valueOf(program.accessories!);
    await valueOf(program.edge!);
    await valueOf(program.release!);
    await settle();
    return new Map(recorded.map((r) => [`${r.type} ${r.name}`, JSON.stringify(r.inputs)]));
  } finally {
    sourceModule.readSource = original;
  }
}

describe("a commit that changes only web's context (the local stack)", function () {
  this.timeout(30_000);
  let first: Map<string, string>;
  let second: Map<string, string>;
  let restoreHome: () => void;

  before(async () => {
    restoreHome = fakeHome();
    first = await inputsAt(BEFORE);
    second = await inputsAt(AFTER);
  });
  after(() => restoreHome());

  it("declares the same resources", () => {
    assert.deepEqual([...second.keys()].sort(), [...first.keys()].sort());
    assert.equal(first.size, 76);
  });

  it("changes the inputs of what is keyed on web's new digest, and of nothing else", () => {
    const changed = [...second.keys()].filter((key) => second.get(key) !== first.get(key)).sort();
    assert.deepEqual(changed, [
      "command:local:Command web-attest",
      "command:local:Command web-check",
      "command:local:Command web-supply-sbom",
      "command:local:Command web-supply-scan",
      "command:local:Command web-tags",
      "command:remote:Command web-local-release",
      "docker-build:index:Image web-image",
      // The release the update records in the ledger names web's new digest.
      "pulumi-nodejs:dynamic/slipway:ReleaseRecord ledger",
    ]);
  });

  it("gives web's build the new commit's per-build tags, the others keep theirs", () => {
    const tags = (inputs: Map<string, string>, image: string) =>
      (JSON.parse(inputs.get(`docker-build:index:Image ${image}-image`)!) as { tags: string[] })
        .tags;
    assert.deepEqual(tags(second, "web"), [
      "127.0.0.1:5000/slipway/web:sha-6666666-cff40149",
      "127.0.0.1:5000/slipway/web:dev-6-g6666666-cff40149",
    ]);
    assert.deepEqual(tags(second, "api"), [
      "127.0.0.1:5000/slipway/api:sha-3333333",
      "127.0.0.1:5000/slipway/api:dev-3-g3333333",
    ]);
    assert.deepEqual(tags(second, "edge"), [
      "127.0.0.1:5000/slipway/edge:sha-2222222",
      "127.0.0.1:5000/slipway/edge:dev-2-g2222222",
    ]);
  });
});
