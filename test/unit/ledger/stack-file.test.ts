import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { readPins, setLive, setMaintenance, setPins } from "../../../src/ledger";
import { ROOT } from "../../helpers/stack-files";

const DIGEST = `sha256:${"ab".repeat(32)}`;

const PROD = `# prod never builds.
config:
  slipway:role: promote
  slipway:registry:
    server: ghcr.io
    namespace: acme
    password:
      secure: AAABAKq8bnx4Zz0=
  slipway:images:
    web:
      pin:
        # Pinned by \`slipway promote\`; do not edit by hand.
        digest: sha256:3f1b5cf1a0e8d7a0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7 # current
        tag: sha-4c2a9e1
    proxy:
      pin:
        digest: "sha256:9a4c0e2b7d61f3a8c5e9b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4"
  slipway:hosts:
    - name: web-1
      hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE633cjNK3Ie1UcW6/kwhWtayyq9pSdcnoMKpwaCkcH0 a very long comment that goes past eighty columns
`;

describe("stack file pins", () => {
  it("reads the pins of every image", () => {
    assert.deepEqual(readPins(PROD), {
      web: {
        digest: "sha256:3f1b5cf1a0e8d7a0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7",
        tag: "sha-4c2a9e1",
      },
      proxy: { digest: "sha256:9a4c0e2b7d61f3a8c5e9b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4" },
    });
  });

  it("changes only the pinned lines: comments, quoting, order and secrets stay", () => {
    const out = setPins(PROD, {
      web: { digest: DIGEST, tag: "v1.2.3", revision: "4c2a9e1f00", repository: null },
      proxy: { digest: DIGEST, tag: "sha-1111111" },
    });
    assert.equal(
      out,
      PROD.replace(
        "digest: sha256:3f1b5cf1a0e8d7a0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7 # current\n        tag: sha-4c2a9e1\n",
        `digest: ${DIGEST} # current\n        tag: v1.2.3\n        revision: 4c2a9e1f00\n`,
      ).replace(
        'digest: "sha256:9a4c0e2b7d61f3a8c5e9b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4"\n',
        `digest: "${DIGEST}"\n        tag: sha-1111111\n`,
      ),
    );
  });

  it("removes a recorded tag or repository when asked (null)", () => {
    const out = setPins(PROD, { web: { digest: DIGEST, tag: null } });
    assert.ok(!out.includes("tag: sha-4c2a9e1"));
    assert.deepEqual(readPins(out).web, { digest: DIGEST });
  });

  it("writes checkedOn: hosts when asked, and drops it at the next pin write that does not say so", () => {
    const offline = setPins(PROD, { web: { digest: DIGEST, restores: 2, checkedOn: "hosts" } });
    assert.ok(
      offline.includes(
        `digest: ${DIGEST} # current\n        tag: sha-4c2a9e1\n        restores: 2\n        checkedOn: hosts\n`,
      ),
    );
    assert.deepEqual(readPins(offline).web, {
      digest: DIGEST,
      tag: "sha-4c2a9e1",
      restores: 2,
      checkedOn: "hosts",
    });
    const online = setPins(offline, { web: { digest: DIGEST, restores: 2 } });
    assert.deepEqual(readPins(online).web, { digest: DIGEST, tag: "sha-4c2a9e1", restores: 2 });
  });

  it("leaves every checked-in stack file byte for byte when nothing changes", () => {
    for (const name of fs.readdirSync(ROOT).filter((file) => /^Pulumi\..+\.yaml$/.test(file))) {
      const text = fs.readFileSync(path.join(ROOT, name), "utf8");
      assert.equal(setPins(text, {}), text, name);
    }
  });

  it("adds an image to a stack that pins none yet (an empty flow map)", () => {
    const text =
      "# nothing yet\nconfig:\n  slipway:role: promote\n  slipway:images: {}\n  slipway:hosts: []\n";
    assert.equal(
      setPins(text, { web: { digest: DIGEST, tag: "sha-4c2a9e1", revision: "4c2a9e1" } }),
      `# nothing yet\nconfig:\n  slipway:role: promote\n  slipway:images:\n    web:\n      pin:\n        digest: ${DIGEST}\n        tag: sha-4c2a9e1\n        revision: 4c2a9e1\n  slipway:hosts: []\n`,
    );
  });

  it("refuses to pin an image the stack builds, and a file with a merge conflict", () => {
    const build = "config:\n  slipway:images:\n    web:\n      build:\n        context: app\n";
    assert.throws(() => setPins(build, { web: { digest: DIGEST } }, "Pulumi.dev.yaml"), {
      name: "LedgerError",
      message:
        'Pulumi.dev.yaml builds image "web" itself; only a stack that pins its images can be promoted to or rolled back',
    });
    const conflict = PROD.replace(
      "        tag: sha-4c2a9e1\n",
      "<<<<<<< HEAD\n        tag: sha-4c2a9e1\n=======\n        tag: sha-2222222\n>>>>>>> other\n",
    );
    assert.throws(() => setPins(conflict, { web: { digest: DIGEST } }, "Pulumi.prod.yaml"), {
      name: "LedgerError",
      message:
        'Pulumi.prod.yaml has an unresolved merge conflict (line 14: "<<<<<<< HEAD"); nothing was changed',
      next: ["git status  # resolve the conflict in Pulumi.prod.yaml, commit, then re-run"],
    });
  });
});

describe("stack file maintenance", () => {
  const ON = `${PROD}  slipway:maintenance:
    # until the migration is done
    api:
      retryAfter: 30
`;

  it("adds a service beside the others, sets, and replaces its fields; the rest stays", () => {
    const web = setMaintenance(ON, "web", { message: "Back at 10:00", retryAfter: 120 });
    assert.equal(web, `${ON}    web:\n      message: Back at 10:00\n      retryAfter: 120\n`);
    assert.equal(
      setMaintenance(web, "web", { retryAfter: 60 }),
      `${ON}    web:\n      retryAfter: 60\n`,
    );
  });

  it("removes a service, and the key with the last one; off when absent changes nothing", () => {
    assert.equal(setMaintenance(ON, "api", undefined), PROD);
    assert.equal(setMaintenance(PROD, "web", undefined), PROD);
    assert.equal(setMaintenance(ON, "web", undefined), ON);
  });
});

describe("stack file: a blue/green's live digest", () => {
  const BLUE_GREEN = `config:
  slipway:services:
    web:
      routes: [{host: web.example.com}]
      # Users get live; another digest answers on the preview host.
      rollout: {strategy: blueGreen, preview: {host: preview.example.com}}
    api:
      rollout:
        strategy: blueGreen # the api's
        preview:
          header: {name: X-Preview, value: "1"}
        live: sha256:${"0".repeat(64)}
`;

  it("sets rollout.live in place, every other byte as it was", () => {
    assert.equal(
      setLive(BLUE_GREEN, { web: DIGEST, api: DIGEST }),
      BLUE_GREEN.replace(
        "preview: {host: preview.example.com}}",
        `preview: {host: preview.example.com}, live: ${DIGEST}}`,
      ).replace(`live: sha256:${"0".repeat(64)}`, `live: ${DIGEST}`),
    );
  });

  it("refuses a service without a rollout, naming the key", () => {
    assert.throws(
      () =>
        setLive("config:\n  slipway:services:\n    web: {}\n", { web: DIGEST }, "Pulumi.prod.yaml"),
      /Pulumi\.prod\.yaml declares no slipway:services\.web\.rollout to set live in/,
    );
  });
});
