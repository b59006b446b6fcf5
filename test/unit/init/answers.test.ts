import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InitInputError, parseAnswers, type InitInput } from "../../../src/init";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("slipway init: its inputs", () => {
  let home: string;
  let input: InitInput;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-init-home-"));
    fs.mkdirSync(path.join(home, ".ssh"));
    fs.writeFileSync(path.join(home, ".ssh", "id_ed25519"), "key\n");
    input = {
      registry: "ghcr.io/acme",
      host: "deploy@203.0.113.10:2222",
      "ssh-key": "~/.ssh/id_ed25519",
      port: "8080",
      health: "/health",
      "edge-image": `docker.io/library/caddy:2@${DIGEST}`,
    };
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  const refusal = (changed: InitInput): string => {
    try {
      parseAnswers({ ...input, ...changed }, home, home);
    } catch (error) {
      assert.ok(error instanceof InitInputError);
      return error.message;
    }
    return assert.fail("expected a refusal");
  };

  it("reads every flag, the key file as ~/… under the home folder", () => {
    assert.deepEqual(parseAnswers({ ...input, domain: "app.example.com" }, home, home), {
      registry: { server: "ghcr.io", namespace: "acme" },
      host: { user: "deploy", address: "203.0.113.10", port: 2222 },
      sshKey: "~/.ssh/id_ed25519",
      port: 8080,
      health: "/health",
      edgeImage: `docker.io/library/caddy:2@${DIGEST}`,
      domain: "app.example.com",
    });
  });

  it("keeps a key file outside the home folder absolute, and the SSH port 22 by default", () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-init-key-"));
    fs.writeFileSync(path.join(outside, "key"), "key\n");
    const answers = parseAnswers(
      { ...input, host: "root@web-1.example.com", "ssh-key": "key" },
      outside,
      home,
    );
    assert.equal(answers.sshKey, path.join(outside, "key"));
    assert.deepEqual(answers.host, { user: "root", address: "web-1.example.com", port: 22 });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it("refuses a malformed --registry", () => {
    assert.equal(
      refusal({ registry: "ghcr.io" }),
      '--registry "ghcr.io": expected <server>/<namespace>, e.g. ghcr.io/acme (lowercase namespace)',
    );
    assert.equal(
      refusal({ registry: "ghcr.io/Acme" }),
      '--registry "ghcr.io/Acme": expected <server>/<namespace>, e.g. ghcr.io/acme (lowercase namespace)',
    );
  });

  it("refuses a malformed --host", () => {
    assert.equal(
      refusal({ host: "203.0.113.10" }),
      '--host "203.0.113.10": expected <user>@<address>[:<port>], e.g. deploy@203.0.113.10',
    );
    assert.equal(
      refusal({ host: "deploy@203.0.113.10:99999" }),
      '--host "deploy@203.0.113.10:99999": "99999" is not an SSH port (1 to 65535); expected <user>@<address>[:<port>], e.g. deploy@203.0.113.10',
    );
  });

  it("refuses a malformed --port and --health", () => {
    assert.equal(
      refusal({ port: "http" }),
      '--port "http": expected the port your container listens on: a whole number from 1 to 65535',
    );
    assert.equal(
      refusal({ health: "health" }),
      '--health "health": expected the path that answers 200 when the service is healthy, e.g. /health',
    );
  });

  it("refuses an --ssh-key that does not exist", () => {
    assert.equal(
      refusal({ "ssh-key": "~/.ssh/missing" }),
      '--ssh-key "~/.ssh/missing": no such file; expected the private key file Slipway logs in with, e.g. ~/.ssh/id_ed25519',
    );
  });

  it("refuses an --edge-image without a digest, and a malformed --domain", () => {
    assert.equal(
      refusal({ "edge-image": "caddy:2" }),
      '--edge-image "caddy:2": it has no @sha256:<digest>; pin images by digest, a tag can move; expected the edge proxy image pinned by digest: the official Caddy image, e.g. docker.io/library/caddy:2@sha256:<digest> (docker buildx imagetools inspect caddy:2)',
    );
    assert.equal(
      refusal({ domain: "https://app.example.com" }),
      '--domain "https://app.example.com": expected the public name of the service, e.g. app.example.com',
    );
  });

  it("refuses a missing flag, naming it and how to give it", () => {
    assert.throws(() => parseAnswers({ ...input, port: undefined }, home, home), {
      message:
        "--port is missing: pass --port the port your container listens on, e.g. 8080, or run slipway init in a terminal to be asked",
    });
  });
});
