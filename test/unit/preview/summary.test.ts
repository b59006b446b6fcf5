import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  GITHUB_COMMENT_LIMIT,
  parsePreview,
  previewSummaryCommand,
  renderSummary,
  summarize,
  UNKNOWN,
  type PreviewData,
} from "../../../src/preview";

const FIXTURES = path.resolve(__dirname, "..", "..", "fixtures", "preview");
const read = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");

const OLD_WEB = "sha256:3f1b5cf1a0e8d7a0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7";
const NEW_WEB = "sha256:7c7e2c6aabe9357357891b340117fef1fa11cdb2ae9789b28f6c34f0e815368c";
const PROXY = "sha256:9a4c0e2b7d61f3a8c5e9b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4";
const DEV_WEB = "sha256:d6c75cfbbe30d9a48d20263549e1b53474bb5d08f74163a97c5bfc78dc1a879c";
const DEV_PROXY = "sha256:1788a8ba5a100ba388d88a52c2245a6122d18d6dbe715145bc44cf327db8076e";
const OLD_REV = "4c2a9e1f0b7d3c5a8e6f4d2b0a9c8e7f6d5c4b3a";
const NEW_REV = "9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e";

const PROD_MARKDOWN = `<!-- slipway-preview-summary stack=prod -->
### Slipway preview: \`prod\`

| Image | Digest | Source revision |
| --- | --- | --- |
| \`web\` | \`sha256:3f1b5cf1a0e8\` → \`sha256:7c7e2c6aabe9\` | [\`4c2a9e1\`](https://github.com/acme/web/commit/${OLD_REV}) → [\`9d8e7f6\`](https://github.com/acme/web/commit/${NEW_REV}) ([compare](https://github.com/acme/web/compare/${OLD_REV}...${NEW_REV})) |

Unchanged: \`proxy\` \`sha256:9a4c0e2b7d61\`

**Hosts affected (2):** \`web-1\` (203.0.113.10), \`web-2\` (203.0.113.11)

**Resources:** 2 to update, 12 unchanged

<details><summary>New image references</summary>

- \`web\`: \`ghcr.io/acme/web@${NEW_WEB}\`

</details>
`;

describe("preview summary", () => {
  describe("of a recorded prod promotion (pulumi preview --json)", () => {
    const preview = parsePreview(read("prod-promote.json"));

    it("reads the steps, the config and the change counts", () => {
      assert.deepEqual(
        preview.changes.map((c) => `${c.op} ${c.type} ${c.urn}`),
        [
          "same pulumi:pulumi:Stack urn:pulumi:prod::slipway::pulumi:pulumi:Stack::slipway-prod",
          "update command:remote:Command urn:pulumi:prod::slipway::slipway:deploy:HostDeployment$command:remote:Command::web-web-1-release",
          "update command:remote:Command urn:pulumi:prod::slipway::slipway:deploy:HostDeployment$command:remote:Command::web-web-2-release",
        ],
      );
      assert.deepEqual(preview.changeSummary, { same: 12, update: 2 });
      assert.equal(preview.config["slipway:role"], "promote");
      assert.deepEqual(preview.errors, []);
    });

    it("finds which image moves, from which revision, and which hosts it reaches", () => {
      assert.deepEqual(summarize(preview), {
        stack: "prod",
        images: [
          {
            name: "web",
            status: "changed",
            old: { digest: OLD_WEB, revision: OLD_REV, repository: "ghcr.io/acme/web" },
            new: { digest: NEW_WEB, revision: NEW_REV, repository: "ghcr.io/acme/web" },
          },
          {
            name: "proxy",
            status: "unchanged",
            old: { digest: PROXY, revision: OLD_REV, repository: "ghcr.io/acme/proxy" },
            // The pin's tag (sha-<short>) is all the config says of its revision.
            new: { digest: PROXY, revision: "4c2a9e1" },
          },
        ],
        hosts: [
          { name: "web-1", address: "203.0.113.10", status: "redeployed" },
          { name: "web-2", address: "203.0.113.11", status: "redeployed" },
        ],
        changeSummary: { same: 12, update: 2 },
        errors: 0,
      });
    });

    it("renders the exact Markdown, with commit links to the repository", () => {
      assert.equal(
        renderSummary(summarize(preview), { sourceUrl: "https://github.com/acme/web" }),
        PROD_MARKDOWN,
      );
    });

    it("shows plain revisions when no repository address is known", () => {
      const markdown = renderSummary(summarize(preview));
      assert.equal(
        markdown.split("\n")[5],
        "| `web` | `sha256:3f1b5cf1a0e8` → `sha256:7c7e2c6aabe9` | `4c2a9e1` → `9d8e7f6` |",
      );
    });
  });

  describe("of a recorded dev build (streamed engine events)", () => {
    const preview = parsePreview(read("dev-build.ndjson"));

    it("takes the predicted outputs from the outputs events", () => {
      const web = preview.changes.find((c) => c.urn.endsWith("::web-image"))!;
      assert.equal(web.op, "update");
      assert.equal(web.new!.outputs.digest, UNKNOWN);
      assert.deepEqual(preview.changeSummary, { same: 6, update: 2 });
      assert.deepEqual(preview.errors, []);
    });

    it("says the new digest comes from `pulumi up`, with the revision from the image labels", () => {
      assert.deepEqual(summarize(preview), {
        stack: "dev",
        source: "https://github.com/acme/web",
        images: [
          {
            name: "web",
            status: "rebuilt",
            old: { digest: DEV_WEB, revision: OLD_REV, repository: "ghcr.io/acme/web" },
            new: { pending: true, revision: NEW_REV, repository: "ghcr.io/acme/web" },
          },
          {
            name: "proxy",
            status: "unchanged",
            old: { digest: DEV_PROXY, revision: OLD_REV, repository: "ghcr.io/acme/proxy" },
            new: { digest: DEV_PROXY, revision: OLD_REV, repository: "ghcr.io/acme/proxy" },
          },
        ],
        hosts: [{ name: "dev-1", address: "198.51.100.20", status: "redeployed" }],
        changeSummary: { same: 6, update: 2 },
        errors: 0,
      });
    });

    it("renders the exact Markdown", () => {
      assert.equal(
        renderSummary(summarize(preview)),
        `<!-- slipway-preview-summary stack=dev -->
### Slipway preview: \`dev\`

| Image | Digest | Source revision |
| --- | --- | --- |
| \`web\` | \`sha256:d6c75cfbbe30\` → _built by \`pulumi up\`_ | [\`4c2a9e1\`](https://github.com/acme/web/commit/${OLD_REV}) → [\`9d8e7f6\`](https://github.com/acme/web/commit/${NEW_REV}) ([compare](https://github.com/acme/web/compare/${OLD_REV}...${NEW_REV})) |

Unchanged: \`proxy\` \`sha256:1788a8ba5a10\`

**Hosts affected (1):** \`dev-1\` (198.51.100.20)

**Resources:** 2 to update, 6 unchanged
`,
      );
    });

    it("reads the same events given as one JSON array", () => {
      const lines = read("dev-build.ndjson").trim().split("\n");
      assert.deepEqual(parsePreview(`[${lines.join(",")}]`), preview);
    });
  });

  describe("other changes", () => {
    const S = "urn:pulumi:prod::slipway::";
    const digest = (n: number) => `sha256:${n.toString(16).padStart(2, "0").repeat(32)}`;
    const root = (images: Record<string, string>) => ({
      urn: `${S}pulumi:pulumi:Stack::slipway-prod`,
      type: "pulumi:pulumi:Stack",
      outputs: {
        images: Object.fromEntries(
          Object.entries(images).map(([name, d]) => [
            name,
            { repository: `ghcr.io/acme/${name}`, digest: d },
          ]),
        ),
        hosts: {
          "web-1": { address: "203.0.113.10" },
          "web-3": { address: "203.0.113.12" },
          "web-0": { address: "203.0.113.9" },
        },
      },
    });
    const command = (op: string, host: string, address: string) => {
      const urn = `${S}slipway:deploy:HostDeployment$command:remote:Command::${host}-release`;
      const state = {
        urn,
        type: "command:remote:Command",
        parent: `${S}slipway:deploy:HostDeployment::${host}`,
        inputs: { connection: { host: address }, triggers: ["[secret]"] },
      };
      return {
        op,
        urn,
        ...(op === "create" ? {} : { oldState: state }),
        ...(op === "delete" ? {} : { newState: state }),
      };
    };
    const text = JSON.stringify({
      config: {
        "slipway:images": JSON.stringify({
          web: { pin: { digest: digest(2) } },
          api: { pin: { digest: digest(3), tag: "v1.4.0" } },
        }),
      },
      steps: [
        {
          op: "same",
          urn: `${S}pulumi:pulumi:Stack::slipway-prod`,
          oldState: root({ web: digest(1), worker: digest(9) }),
        },
        command("create", "web-3", "203.0.113.12"),
        command("delete", "web-0", "203.0.113.9"),
        command("replace", "web-1", "203.0.113.10"),
        command("create-replacement", "web-1", "203.0.113.10"),
        command("delete-replaced", "web-1", "203.0.113.10"),
      ],
      diagnostics: [
        { message: "error: web-0-release: ssh: handshake failed\n", severity: "error" },
        { message: "a warning\n", severity: "warning" },
      ],
      changeSummary: { create: 1, delete: 1, replace: 1, same: 4 },
    });

    it("marks added and removed images and hosts, merges a replacement's steps, and warns of errors", () => {
      const preview: PreviewData = parsePreview(text);
      assert.deepEqual(
        preview.changes.map((c) => `${c.op} ${c.urn.split("::").pop()}`),
        [
          "same slipway-prod",
          "create web-3-release",
          "delete web-0-release",
          "replace web-1-release",
        ],
      );
      assert.equal(
        renderSummary(summarize(preview)),
        `<!-- slipway-preview-summary stack=prod -->
### Slipway preview: \`prod\`

> [!WARNING]
> The preview reported 1 error; see the workflow log.

| Image | Digest | Source revision |
| --- | --- | --- |
| \`web\` | \`sha256:010101010101\` → \`sha256:020202020202\` | — |
| \`worker\` | \`sha256:090909090909\` → _removed_ | — |
| \`api\` | _none_ → \`sha256:030303030303\` | — |

**Hosts affected (3):** \`web-0\` (203.0.113.9, removed), \`web-1\` (203.0.113.10), \`web-3\` (203.0.113.12, new)

**Resources:** 1 to create, 1 to replace, 1 to delete, 4 unchanged

<details><summary>New image references</summary>

- \`web\`: \`ghcr.io/acme/web@${digest(2)}\`

</details>
`,
      );
    });

    it("finds a host by its deployment's name when the address is a secret", () => {
      const urn = `${S}slipway:deploy:HostDeployment$command:local:Command::web-web-3-release`;
      const state = {
        urn,
        type: "command:local:Command",
        parent: `${S}slipway:deploy:HostDeployment::web-web-3`,
        inputs: { triggers: [`ghcr.io/acme/web:sha-9d8e7f6@${digest(4)}`, "[secret]"] },
      };
      const summary = summarize(
        parsePreview(
          JSON.stringify({
            steps: [
              {
                op: "same",
                urn: `${S}pulumi:pulumi:Stack::slipway-prod`,
                oldState: root({ web: digest(1) }),
              },
              { op: "update", urn, oldState: state, newState: state },
            ],
          }),
        ),
      );
      assert.deepEqual(summary.hosts, [
        { name: "web-3", address: "203.0.113.12", status: "redeployed" },
      ]);
      assert.deepEqual(summary.images[0], {
        name: "web",
        status: "changed",
        old: { digest: digest(1), repository: "ghcr.io/acme/web" },
        new: { digest: digest(4), repository: "ghcr.io/acme/web" },
      });
    });

    it("says so when nothing moves", () => {
      const quiet = JSON.stringify({
        steps: [{ op: "same", urn: `${S}pulumi:pulumi:Stack::slipway-prod`, oldState: root({}) }],
        changeSummary: { same: 9 },
      });
      assert.equal(
        renderSummary(summarize(parsePreview(quiet))),
        "<!-- slipway-preview-summary stack=prod -->\n### Slipway preview: `prod`\n\n" +
          "No image changes.\n\n**Hosts affected:** none\n\n**Resources:** 9 unchanged\n",
      );
    });

    it("says which images of a build stack run a rollback pin instead of a build", () => {
      const pinned = JSON.stringify({
        config: {
          "slipway:images": JSON.stringify({
            web: {
              build: { context: "app" },
              pin: { digest: digest(1), restores: 3, pinnedAt: "a".repeat(40) },
            },
            edge: { build: { context: "edge" } },
          }),
        },
        steps: [{ op: "same", urn: `${S}pulumi:pulumi:Stack::slipway-dev`, oldState: root({}) }],
        changeSummary: { same: 9 },
      });
      const summary = summarize(parsePreview(pinned));
      assert.deepEqual(summary.rollbackPins, [{ image: "web", restores: 3 }]);
      assert.equal(
        renderSummary(summary).split("\n").slice(3, 6).join("\n"),
        "> [!NOTE]\n" +
          "> Pinned by a rollback: `web` (release #3) runs the pinned digest instead of a build, until a commit changes it or `slipway rollback --stack prod --unpin`.\n",
      );
    });
  });

  describe("truncation", () => {
    /** A preview that redeploys `count` hosts with long names. */
    function huge(count: number): string {
      const S = "urn:pulumi:prod::slipway::";
      const steps = Array.from({ length: count }, (_, i) => {
        const host = `host-${String(i).padStart(5, "0")}-${"x".repeat(40)}`;
        const urn = `${S}slipway:deploy:HostDeployment$command:remote:Command::${host}-release`;
        const state = {
          urn,
          type: "command:remote:Command",
          parent: `${S}slipway:deploy:HostDeployment::${host}`,
          inputs: { connection: { host: `10.0.${Math.floor(i / 250)}.${i % 250}` } },
        };
        return { op: "update", urn, oldState: state, newState: state };
      });
      const images = Object.fromEntries(
        Array.from({ length: count }, (_, i) => [
          `image-${i}`,
          { pin: { digest: `sha256:${(i % 256).toString(16).padStart(2, "0").repeat(32)}` } },
        ]),
      );
      return JSON.stringify({
        config: { "slipway:images": JSON.stringify(images) },
        steps,
        changeSummary: { update: count },
      });
    }

    it("cuts at a line boundary under GitHub's comment limit and says so", () => {
      const summary = summarize(parsePreview(huge(2000)));
      const markdown = renderSummary(summary, {
        logUrl: "https://github.com/acme/web/actions/runs/42",
      });
      assert.ok(markdown.length <= GITHUB_COMMENT_LIMIT, `${markdown.length} characters`);
      assert.ok(markdown.length > GITHUB_COMMENT_LIMIT - 1000, `${markdown.length} characters`);
      const whole = renderSummary(summary, { maxLength: 10_000_000 });
      assert.ok(
        markdown.endsWith(
          `\n\n> **Truncated:** the whole summary has ${whole.length} characters and GitHub takes at most ` +
            "65536 in a comment; the full preview is in [the workflow log](https://github.com/acme/web/actions/runs/42).\n",
        ),
      );
      const body = markdown.slice(0, markdown.indexOf("\n\n> **Truncated:**"));
      assert.ok(whole.startsWith(`${body}\n`), "the kept part is a prefix of whole lines");
      assert.ok(body.endsWith(" |"), "the last kept line is a whole table row");
    });

    it("closes an open <details> block when the cut falls inside it", () => {
      const S = "urn:pulumi:prod::slipway::";
      const digest = (n: number, side: string) =>
        `sha256:${side}${(n % 256).toString(16).padStart(2, "0").repeat(31)}`;
      const names = Array.from({ length: 300 }, (_, i) => `image-${i}`);
      const text = JSON.stringify({
        config: {
          "slipway:images": JSON.stringify(
            Object.fromEntries(
              names.map((name, i) => [name, { pin: { digest: digest(i, "bb") } }]),
            ),
          ),
        },
        steps: [
          {
            op: "same",
            urn: `${S}pulumi:pulumi:Stack::slipway-prod`,
            oldState: {
              urn: `${S}pulumi:pulumi:Stack::slipway-prod`,
              type: "pulumi:pulumi:Stack",
              outputs: {
                images: Object.fromEntries(
                  names.map((name, i) => [
                    name,
                    { repository: `ghcr.io/acme/${name}`, digest: digest(i, "aa") },
                  ]),
                ),
              },
            },
          },
        ],
        changeSummary: { same: 1 },
      });
      const summary = summarize(parsePreview(text));
      const whole = renderSummary(summary, { maxLength: 1_000_000 });
      const markdown = renderSummary(summary, { maxLength: 45_000 });
      assert.ok(markdown.length <= 45_000, `${markdown.length} characters`);
      const note =
        `> **Truncated:** the whole summary has ${whole.length} characters and GitHub takes at ` +
        "most 45000 in a comment; the full preview is in the workflow log.\n";
      const [body, tail] = markdown.split("\n\n</details>\n\n");
      assert.equal(tail, note);
      assert.ok(whole.startsWith(`${body!}\n`), "the kept part is a prefix of whole lines");
      assert.match(body!, /\n<details><summary>New image references<\/summary>\n\n- `image-0`: /);
      assert.match(
        body!.split("\n").pop()!,
        /^- `image-[0-9]+`: `ghcr\.io\/acme\/image-[0-9]+@sha256:bb[0-9a-f]{62}`$/,
      );
    });

    it("returns the summary whole when it fits exactly", () => {
      const summary = summarize(parsePreview(read("prod-promote.json")));
      const whole = renderSummary(summary, { maxLength: 10_000 });
      assert.equal(renderSummary(summary, { maxLength: whole.length }), whole);
    });

    it("refuses a limit that leaves no room", () => {
      const summary = summarize(parsePreview(read("prod-promote.json")));
      assert.throws(() => renderSummary(summary, { maxLength: 300 }), {
        name: "RangeError",
        message: "maxLength 300 leaves no room for a summary",
      });
    });
  });

  describe("bad input", () => {
    it("names what is wrong", () => {
      assert.throws(() => parsePreview("  \n"), {
        message: "not a Pulumi preview: the input is empty",
      });
      assert.throws(() => parsePreview('{"sequence":0}\nnot json\n'), {
        name: "PreviewFormatError",
        message: "not a Pulumi preview: line 2 is not JSON",
      });
      assert.throws(() => parsePreview('{"name":"web"}'), {
        message: "not a Pulumi preview: expected the output of `pulumi preview --json`",
      });
    });
  });

  describe("of a definition-only change with an attestation command", () => {
    /**
     * prod-promote.json changed so that both hosts keep the old web digest but get a new
     * definition hash (an env change), plus a local command that carries a digest but is not
     * a host deployment (a build's attestation).
     */
    function definitionOnly(): string {
      const raw = JSON.parse(read("prod-promote.json")) as {
        config: Record<string, unknown>;
        steps: { op: string; urn: string; oldState?: any; newState?: any }[];
      };
      for (const step of raw.steps.slice(1)) {
        step.newState.inputs.triggers = [step.oldState.inputs.triggers[0], "e".repeat(64)];
      }
      const images = JSON.parse(String(raw.config["slipway:images"])) as Record<string, any>;
      images.web.pin.digest = OLD_WEB;
      delete images.web.pin.revision;
      delete images.web.pin.tag;
      raw.config["slipway:images"] = JSON.stringify(images);
      const attestation =
        "urn:pulumi:prod::slipway::slipway:image:Attestation$command:local:Command::web-attest";
      const state = {
        urn: attestation,
        type: "command:local:Command",
        parent: "urn:pulumi:prod::slipway::slipway:image:Attestation::web",
        inputs: { triggers: [`ghcr.io/acme/web@${OLD_WEB}`] },
        outputs: {},
      };
      raw.steps.push({ op: "replace", urn: attestation, oldState: state, newState: state });
      return JSON.stringify(raw);
    }

    it("names only the hosts a deployment runs on, and says the definition changes there", () => {
      const summary = summarize(parsePreview(definitionOnly()));
      assert.deepEqual(summary.hosts, [
        { name: "web-1", address: "203.0.113.10", status: "redeployed", definitionOnly: true },
        { name: "web-2", address: "203.0.113.11", status: "redeployed", definitionOnly: true },
      ]);
      assert.deepEqual(
        summary.images.map((image) => `${image.name} ${image.status}`),
        ["web unchanged", "proxy unchanged"],
      );
      const markdown = renderSummary(summary, { stack: "prod" });
      assert.ok(
        markdown.includes(
          "No image changes; the service definition (env, ports, health or proxy) changes on `web-1`, `web-2`, so the release is redeployed with the same digest.\n",
        ),
        markdown,
      );
    });

    it("prints the summary as JSON with --json", () => {
      const result = previewSummaryCommand(["--json", "-"], () => definitionOnly());
      assert.equal(result.code, 0);
      assert.deepEqual(JSON.parse(result.stdout), summarize(parsePreview(definitionOnly())));
    });
  });

  describe("command", () => {
    it("names a preview file that cannot be read, and exits 2", () => {
      assert.deepEqual(previewSummaryCommand(["missing.json"]), {
        code: 2,
        stdout: "",
        stderr:
          'cannot read the preview "missing.json": no such file (write it with: pulumi preview --stack <stack> --json > preview.json)\n',
      });
    });

    it("prints the Markdown for a file and exits 0", () => {
      const result = previewSummaryCommand(
        ["--stack", "prod", "--source-url", "https://github.com/acme/web", "preview.json"],
        (file) => (file === "preview.json" ? read("prod-promote.json") : assert.fail(file)),
      );
      assert.deepEqual(result, { code: 0, stdout: PROD_MARKDOWN, stderr: "" });
    });

    it("exits 2 with the usage or the reason on bad use", () => {
      const usage =
        "usage: preview-summary [--stack NAME] [--source-url URL] [--log-url URL] [--max-length N] [--json] <preview.json | ->\n";
      assert.deepEqual(
        previewSummaryCommand([], () => ""),
        { code: 2, stdout: "", stderr: usage },
      );
      assert.deepEqual(
        previewSummaryCommand(["--max-length", "lots", "-"], () => ""),
        {
          code: 2,
          stdout: "",
          stderr: "--max-length must be a positive whole number\n",
        },
      );
      assert.deepEqual(
        previewSummaryCommand(["-"], () => "[1,"),
        {
          code: 2,
          stdout: "",
          stderr: "not a Pulumi preview: line 1 is not JSON\n",
        },
      );
    });
  });
});
