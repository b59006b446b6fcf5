/**
 * Unchanged digest, no work, with the real engine, registry and host: a twin of the local
 * stack (test/helpers/twin.ts) is released once; then a commit that changes only web's context
 * is released, and only web's repository gets registry writes and only web's resources change;
 * then a commit that changes no image is released with the registry down: the update succeeds,
 * changes nothing and runs no command, remote or local. Registry writes are counted in the
 * registry's own request log, resource changes in the engine's events.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { run, servicesDown, servicesUp, STATE_DIR, useServices } from "../helpers/services";
import { makeTwin, type Twin } from "../helpers/twin";

const NAMESPACE = "slipway-unchanged";
const REGISTRY_LOG = path.join(STATE_DIR, "logs", "registry.log");
const IMAGES = ["api", "edge", "postgres", "redis", "web"];

/**
 * Manifest writes (`PUT /v2/<repository>/manifests/<reference>`, answered 201) in the
 * registry's log since `offset`, by image: its "response completed" lines name each request once.
 */
export function manifestWrites(offset: number): Record<string, string[]> {
  const text = fs.readFileSync(REGISTRY_LOG, "utf8").slice(offset);
  const writes: Record<string, string[]> = {};
  for (const line of text.split("\n")) {
    const uri = new RegExp(
      `http\\.request\\.method=PUT .*http\\.request\\.uri=/v2/${NAMESPACE}/([^/ ]+)/manifests/([^ ]+) .*http\\.response\\.status=201`,
    ).exec(line);
    if (line.includes('msg="response completed"') && uri !== null) {
      (writes[uri[1]!] ??= []).push(uri[2]!);
    }
  }
  return writes;
}

function logSize(): number {
  return fs.existsSync(REGISTRY_LOG) ? fs.statSync(REGISTRY_LOG).size : 0;
}

/** `<op> <type> <name>` of every resource step the engine took other than `same`. */
async function upCounting(stack: Stack): Promise<{ result: string; steps: string[] }> {
  const steps: string[] = [];
  const result = await stack.up({
    onOutput: () => undefined,
    onEvent: (event: EngineEvent) => {
      const metadata = event.resourcePreEvent?.metadata;
      if (metadata !== undefined && metadata.op !== "same") {
        steps.push(`${metadata.op} ${metadata.type} ${metadata.urn.split("::").pop()!}`);
      }
    },
  });
  return { result: result.summary.result, steps: steps.sort() };
}

describe("an unchanged image costs nothing (real engine, registry and host)", function () {
  this.timeout(1_200_000);
  useServices(["docker", "registry", "sshd", "binfmt", "buildkitd"]);
  let twin: Twin;
  let local: Stack;

  before(async () => {
    twin = makeTwin({
      namespace: NAMESPACE,
      prefix: "unch",
      edge: "unch-edge",
      httpPort: 28280,
      httpsPort: 28643,
    });
    local = await twin.stack("local");
    const first = await upCounting(local);
    assert.equal(first.result, "succeeded");
  });

  after(async () => {
    await servicesUp(["registry"]);
    if (twin !== undefined) {
      twin.shell("pulumi destroy --stack local --yes --non-interactive");
      twin.remove();
    }
  });

  it("a commit that changes only web's context writes only web's repository and changes only web's resources", async () => {
    fs.appendFileSync(path.join(twin.dir, "examples", "app", "www", "index.html"), "<!-- r2 -->\n");
    twin.git("commit", "-q", "-am", "web only");
    const offset = logSize();
    const { result, steps } = await upCounting(local);
    assert.equal(result, "succeeded");
    const writes = manifestWrites(offset);
    assert.deepEqual(Object.keys(writes), ["web"], JSON.stringify(writes));
    for (const image of IMAGES.filter((name) => name !== "web")) {
      assert.equal(writes[image], undefined, `${image} got registry writes`);
    }
    // Every resource step is web's: its build, attestation, SBOM, scan, repository check,
    // moving tags and the host release of the service that runs it; and the ledger's record of
    // the release that names web's new digest.
    assert.deepEqual(
      steps.filter(
        (step) =>
          !/ (web-[a-z-]+|unch-web-local-release|unch-web-local)$/.test(step) &&
          step !== "update pulumi-nodejs:dynamic/slipway:ReleaseRecord ledger",
      ),
      [],
      steps.join("\n"),
    );
    assert.ok(steps.includes("update docker-build:index:Image web-image"), steps.join("\n"));
  });

  it("a commit that changes no image, with the registry down, changes nothing and runs no command", async () => {
    fs.appendFileSync(path.join(twin.dir, "README.md"), "\nA note.\n");
    twin.git("commit", "-q", "-am", "docs only");
    const down = await servicesDown(["registry"]);
    assert.equal(down.code, 0, `${down.stdout}\n${down.stderr}`);
    const probe = await run("curl", ["-fsS", "-m", "2", "http://127.0.0.1:5000/v2/"]);
    assert.notEqual(probe.code, 0, "the registry still answers");
    const { result, steps } = await upCounting(local);
    assert.equal(result, "succeeded");
    assert.deepEqual(steps, []);
  });
});
