import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { markSecrets, validateConfig } from "../../src/config";
import { ROOT, sourceFromStackFile } from "../helpers/stack-files";

const DIR = path.join(ROOT, ".github", "workflows");

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

interface Job {
  readonly name?: string;
  readonly uses?: string;
  readonly needs?: string | string[];
  readonly if?: string;
  readonly environment?: string;
  readonly concurrency?: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly strategy?: { matrix?: Record<string, unknown> };
  readonly outputs?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly steps?: Step[];
}

interface Workflow {
  readonly name: string;
  readonly on: Record<string, unknown>;
  readonly permissions: Record<string, string>;
  readonly concurrency?: Record<string, unknown>;
  readonly jobs: Record<string, Job>;
}

function workflow(file: string): Workflow {
  return parse(fs.readFileSync(path.join(DIR, file), "utf8"), { strict: true }) as Workflow;
}

function step(job: Job, name: string): Step {
  const found = job.steps?.find((s) => s.name === name);
  assert.ok(found, `no step named ${JSON.stringify(name)}`);
  return found;
}

const FILES = [
  "checks.yml",
  "main.yml",
  "promote-auto.yml",
  "promote.yml",
  "pull-request.yml",
  "retention.yml",
];

/** Actions that use the job's OIDC token; only jobs running one may ask for `id-token: write`. */
const OIDC_ACTIONS = [
  "pulumi/auth-actions",
  "aws-actions/configure-aws-credentials",
  "google-github-actions/auth",
  "azure/login",
];

function environmentOf(stack: string): string {
  const config = validateConfig(stack, markSecrets(sourceFromStackFile(stack)));
  assert.ok(config.github, `Pulumi.${stack}.yaml has no slipway:github section`);
  return config.github.environment;
}

describe("GitHub Actions workflows", () => {
  it("are exactly the six workflows, each valid YAML", () => {
    assert.deepEqual(fs.readdirSync(DIR).sort(), FILES);
    for (const file of FILES) {
      assert.doesNotThrow(() => workflow(file), file);
    }
  });

  describe("least privilege", () => {
    for (const file of FILES) {
      it(`${file} grants nothing by default and states each job's permissions`, () => {
        const wf = workflow(file);
        assert.deepEqual(wf.permissions, {});
        for (const [id, job] of Object.entries(wf.jobs)) {
          assert.ok(job.permissions !== undefined, `${file}: job ${id} states no permissions`);
          const oidc = (job.steps ?? []).some((s) =>
            OIDC_ACTIONS.some((action) => s.uses?.startsWith(`${action}@`)),
          );
          assert.equal(
            job.permissions["id-token"] === "write",
            oidc,
            `${file}: job ${id} may have id-token: write only if it runs an OIDC action`,
          );
        }
      });
    }

    it("no job asks for id-token, because none logs in with OIDC", () => {
      for (const file of FILES) {
        for (const job of Object.values(workflow(file).jobs)) {
          assert.equal(job.permissions?.["id-token"], undefined);
        }
      }
    });

    it("never expands an expression inside a script (inputs reach scripts through env)", () => {
      for (const file of FILES) {
        for (const job of Object.values(workflow(file).jobs)) {
          for (const s of job.steps ?? []) {
            assert.ok(!s.run?.includes("${{"), `${file}: ${s.name ?? s.run} expands an expression`);
          }
        }
      }
    });

    it("pins every action to a major version", () => {
      for (const file of FILES) {
        for (const job of Object.values(workflow(file).jobs)) {
          for (const s of job.steps ?? []) {
            if (s.uses !== undefined) {
              assert.match(
                s.uses,
                /^[a-z0-9-]+\/[a-z0-9-]+(?:\/[a-z0-9-]+)?@v[0-9]+$/,
                `${file}: ${s.uses}`,
              );
            }
          }
        }
      }
    });
  });

  describe("checks.yml", () => {
    const wf = workflow("checks.yml");

    it("is called by the others and runs types, lint and the unit tests read-only", () => {
      assert.deepEqual(wf.on, { workflow_call: null });
      assert.deepEqual(Object.keys(wf.jobs), ["checks"]);
      const job = wf.jobs.checks!;
      assert.deepEqual(job.permissions, { contents: "read" });
      assert.deepEqual(
        job.steps!.filter((s) => s.run !== undefined).map((s) => s.run),
        [
          "npm ci",
          "npx tsc --noEmit -p .",
          "npx eslint src infra stacks test",
          "npx prettier --check .",
          "npx mocha --config .mocharc.unit.json",
        ],
      );
    });
  });

  describe("pull-request.yml", () => {
    const wf = workflow("pull-request.yml");
    const preview = wf.jobs.preview!;

    it("runs on pull requests to main; a new push cancels the previous run", () => {
      assert.deepEqual(wf.on, { pull_request: { branches: ["main"] } });
      assert.deepEqual(wf.concurrency, {
        group: "pull-request-${{ github.event.pull_request.number }}",
        "cancel-in-progress": true,
      });
      assert.deepEqual(Object.keys(wf.jobs), ["checks", "stacks", "preview"]);
      assert.deepEqual(wf.jobs.checks, {
        uses: "./.github/workflows/checks.yml",
        permissions: { contents: "read" },
      });
    });

    it("previews each affected stack after the checks, only for branches of this repository", () => {
      assert.deepEqual(preview.needs, ["checks", "stacks"]);
      assert.equal(
        preview.if,
        "needs.stacks.outputs.stacks != '[]' && github.event.pull_request.head.repo.full_name == github.repository",
      );
      assert.deepEqual(preview.strategy, {
        "fail-fast": false,
        matrix: { stack: "${{ fromJSON(needs.stacks.outputs.stacks) }}" },
      });
      assert.deepEqual(wf.jobs.stacks!.outputs, {
        stacks: "${{ steps.affected.outputs.stacks }}",
      });
      assert.deepEqual(wf.jobs.stacks!.permissions, { contents: "read" });
      assert.equal(
        step(wf.jobs.stacks!, "Stacks the change touches").run,
        'stacks=$(git diff --name-only "$BASE_SHA"...HEAD \\\n' +
          "  | node -r ts-node/register/transpile-only src/github/affected-cli.ts dev prod)\n" +
          'echo "stacks=$stacks" >> "$GITHUB_OUTPUT"\n',
      );
    });

    it("comments with the official Pulumi action, editing its comment instead of adding one", () => {
      assert.deepEqual(preview.permissions, { contents: "read", "pull-requests": "write" });
      assert.deepEqual(step(preview, "pulumi preview"), {
        name: "pulumi preview",
        uses: "pulumi/actions@v6",
        with: {
          command: "preview",
          "stack-name": "${{ matrix.stack }}",
          "comment-on-pr": true,
          "edit-pr-comment": true,
          "github-token": "${{ github.token }}",
        },
        env: { GITHUB_TOKEN: "${{ secrets.SLIPWAY_GITHUB_TOKEN }}" },
      });
    });

    it("posts Slipway's digest summary as one comment per stack, found again by its marker", () => {
      const summarize = step(preview, "Summarize the preview").run!;
      assert.match(
        summarize,
        /pulumi preview --stack "\$STACK" --json --non-interactive > "\$RUNNER_TEMP\/preview\.json"/,
      );
      assert.match(
        summarize,
        /npx slipway preview-summary --stack "\$STACK" \\\n\s+--source-url "\$SOURCE_URL" --log-url "\$LOG_URL" "\$RUNNER_TEMP\/preview\.json"/,
      );
      const post = step(preview, "Post the summary");
      assert.equal(post.uses, "actions/github-script@v7");
      const script = String(post.with?.script);
      assert.match(script, /const marker = body\.split\("\\n", 1\)\[0\];/);
      assert.match(script, /github\.rest\.issues\.updateComment/);
      assert.match(script, /github\.rest\.issues\.createComment/);
    });

    it("never builds or pushes an image: no builder, no registry login, buildOnPreview off", () => {
      const uses = (preview.steps ?? []).map((s) => s.uses ?? "");
      assert.deepEqual(
        uses.filter((u) => /docker\/(setup-buildx|setup-qemu|login)-action/.test(u)),
        [],
      );
      for (const stack of ["dev", "prod"]) {
        const config = validateConfig(stack, markSecrets(sourceFromStackFile(stack)));
        for (const image of config.images) {
          if (image.kind === "build") {
            assert.equal(image.build.buildOnPreview, false, `${stack}: ${image.name}`);
          }
        }
      }
    });
  });

  describe("main.yml", () => {
    const wf = workflow("main.yml");
    const up = wf.jobs.up!;

    it("deploys dev on every push to main, after the checks", () => {
      assert.deepEqual(wf.on, { push: { branches: ["main"] } });
      assert.deepEqual(Object.keys(wf.jobs), ["checks", "up"]);
      assert.equal(up.needs, "checks");
    });

    it("runs in the dev environment the dev stack manages, one deploy at a time", () => {
      assert.equal(up.environment, environmentOf("dev"));
      assert.equal(up.environment, "dev");
      assert.deepEqual(up.concurrency, {
        group: "slipway-deploy-dev",
        "cancel-in-progress": false,
      });
      assert.deepEqual(up.permissions, { contents: "write" });
    });

    it("records the release of the update in the ledger and commits only the ledger back", () => {
      const names = up.steps!.map((s) => s.name);
      assert.deepEqual(names.slice(names.indexOf("pulumi up")), [
        "pulumi up",
        "Record the release",
        "Commit the ledger",
      ]);
      assert.equal(step(up, "Record the release").run, "npx slipway record --stack dev");
      const commit = step(up, "Commit the ledger").run!;
      assert.match(commit, /git add -A -- stacks\/releases\/dev\.yaml\n/);
      assert.ok(commit.includes("git push origin HEAD:main"));
    });

    it("builds for both platforms and runs pulumi up on dev", () => {
      const uses = up.steps!.map((s) => s.uses).filter((u) => u !== undefined);
      assert.deepEqual(uses, [
        "actions/checkout@v4",
        "actions/setup-node@v4",
        "docker/setup-qemu-action@v3",
        "docker/setup-buildx-action@v3",
        "oras-project/setup-oras@v1",
        "anchore/sbom-action/download-syft@v0",
        "aquasecurity/setup-trivy@v0",
        "sigstore/cosign-installer@v3",
        "pulumi/actions@v6",
      ]);
      assert.deepEqual(step(up, "pulumi up").with, { command: "up", "stack-name": "dev" });
      assert.deepEqual(up.steps![0]!.with, { "fetch-depth": 0 });
    });
  });

  describe("promote.yml", () => {
    const wf = workflow("promote.yml");
    const release = wf.jobs.release!;

    it("is started by hand, choosing promote or rollback", () => {
      assert.deepEqual(wf.on, {
        workflow_dispatch: {
          inputs: {
            action: {
              description:
                "promote: run dev's healthy digests in prod; rollback: return prod to an earlier release",
              type: "choice",
              options: ["promote", "rollback"],
              default: "promote",
              required: true,
            },
            image: {
              description: "promote: only this image (empty: every image)",
              type: "string",
              default: "",
              required: false,
            },
            to: {
              description: "rollback: the digest to return to (empty: the previous release)",
              type: "string",
              default: "",
              required: false,
            },
          },
        },
      });
      assert.deepEqual(Object.keys(wf.jobs), ["release"]);
    });

    it("runs inside the protected production environment, from main only", () => {
      assert.equal(release.environment, environmentOf("prod"));
      assert.equal(release.environment, "production");
      assert.equal(release.if, "github.ref == 'refs/heads/main'");
      const prod = validateConfig("prod", markSecrets(sourceFromStackFile("prod")));
      assert.deepEqual(prod.github?.deploymentBranches?.branches, ["main"]);
    });

    it("never overlaps another production deploy, nor cancels one half-way", () => {
      assert.deepEqual(release.concurrency, {
        group: "slipway-deploy-production",
        "cancel-in-progress": false,
      });
    });

    it("may only push the new pins and ledger back", () => {
      assert.deepEqual(release.permissions, { contents: "write" });
      const commit = step(release, "Commit the pins and the ledger").run!;
      assert.match(commit, /git add -A -- Pulumi\.prod\.yaml stacks\n/);
      assert.match(commit, /git push origin HEAD:main\n/);
    });

    it("runs the Slipway CLI for prod with the pulumi CLI installed", () => {
      assert.deepEqual(step(release, "Install the Pulumi CLI"), {
        name: "Install the Pulumi CLI",
        uses: "pulumi/actions@v6",
      });
      const promote = step(release, "slipway promote");
      assert.equal(promote.if, "inputs.action == 'promote'");
      assert.deepEqual(promote.env, { IMAGE: "${{ inputs.image }}" });
      assert.equal(
        promote.run,
        'args=(promote --from dev --to prod)\nif [ -n "$IMAGE" ]; then args+=(--image "$IMAGE"); fi\nnpx slipway "${args[@]}"\n',
      );
      const rollback = step(release, "slipway rollback");
      assert.equal(rollback.if, "inputs.action == 'rollback'");
      assert.deepEqual(rollback.env, { TO: "${{ inputs.to }}" });
      assert.equal(
        rollback.run,
        'args=(rollback --stack prod)\nif [ -n "$TO" ]; then args+=(--to "$TO"); fi\nnpx slipway "${args[@]}"\n',
      );
    });
  });

  describe("promote-auto.yml", () => {
    const wf = workflow("promote-auto.yml");
    const auto = wf.jobs.auto!;

    it("runs hourly on weekdays and by hand", () => {
      assert.deepEqual(wf.on, { schedule: [{ cron: "41 * * * 1-5" }], workflow_dispatch: {} });
      assert.deepEqual(Object.keys(wf.jobs), ["auto"]);
    });

    it("goes through the production environment's approval, from main only, one deploy at a time", () => {
      assert.equal(auto.environment, environmentOf("prod"));
      assert.equal(auto.if, "github.ref == 'refs/heads/main'");
      assert.deepEqual(auto.concurrency, {
        group: "slipway-deploy-production",
        "cancel-in-progress": false,
      });
    });

    it("runs slipway promote --auto for prod, whose stack says where from and how long to soak", () => {
      assert.deepEqual(
        auto.steps!.map((s) => s.uses ?? s.run),
        [
          "actions/checkout@v4",
          "actions/setup-node@v4",
          "npm ci",
          "pulumi/actions@v6",
          "npx slipway promote --to prod --auto",
          step(auto, "Commit the pins and the ledger").run,
        ],
      );
      assert.deepEqual(auto.permissions, { contents: "write" });
      assert.match(
        step(auto, "Commit the pins and the ledger").run!,
        /git add -A -- Pulumi\.prod\.yaml stacks\n[\s\S]*git push origin HEAD:main\n/,
      );
      const prod = validateConfig("prod", markSecrets(sourceFromStackFile("prod")));
      assert.deepEqual(prod.promotion, { from: "dev", minSoakMinutes: 60 });
    });
  });

  describe("retention.yml", () => {
    const wf = workflow("retention.yml");
    const job = wf.jobs.retention!;

    it("runs weekly on a schedule and by hand, a dry run by default", () => {
      assert.deepEqual(wf.on, {
        schedule: [{ cron: "23 3 * * 1" }],
        workflow_dispatch: {
          inputs: {
            dry_run: {
              description: "only print what would be deleted",
              type: "boolean",
              default: true,
              required: true,
            },
          },
        },
      });
      assert.deepEqual(Object.keys(wf.jobs), ["retention"]);
      assert.deepEqual(wf.concurrency, { group: "slipway-retention", "cancel-in-progress": false });
    });

    it("is the only workflow with packages: write, and asks for nothing else but reading", () => {
      assert.deepEqual(job.permissions, { contents: "read", packages: "write" });
      assert.equal(job.environment, undefined, "it deploys nothing");
      for (const file of FILES.filter((name) => name !== "retention.yml")) {
        for (const [id, other] of Object.entries(workflow(file).jobs)) {
          assert.equal(other.permissions?.packages, undefined, `${file}: job ${id}`);
        }
      }
    });

    it("runs slipway retention on dev, deleting only when not a dry run, with the job's token", () => {
      assert.deepEqual(
        job.steps!.map((s) => s.uses ?? s.run),
        [
          "actions/checkout@v4",
          "actions/setup-node@v4",
          "npm ci",
          "pulumi/actions@v6",
          'args=(retention --stack dev)\nif [ "$DRY_RUN" = "true" ]; then args+=(--dry-run); fi\nnpx slipway "${args[@]}"\n',
        ],
      );
      assert.deepEqual(step(job, "slipway retention").env, {
        DRY_RUN: "${{ github.event_name == 'workflow_dispatch' && inputs.dry_run }}",
        GITHUB_TOKEN: "${{ github.token }}",
      });
      assert.deepEqual(job.env, {
        PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
        PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
      });
    });

    it("cleans a build stack whose every repository declares how many builds to keep", () => {
      const dev = validateConfig("dev", markSecrets(sourceFromStackFile("dev")));
      assert.equal(dev.role, "build");
      assert.deepEqual(
        dev.images.map((image) => [
          image.name,
          dev.registry.repositories[image.name]?.keepDevVersions,
        ]),
        [["web", 10]],
      );
    });
  });

  it("deploy jobs share one concurrency group per environment across workflows", () => {
    const groups = FILES.flatMap((file) =>
      Object.values(workflow(file).jobs)
        .filter((job) => job.environment !== undefined)
        .map((job) => [job.environment, job.concurrency?.group]),
    );
    assert.deepEqual(groups, [
      ["dev", "slipway-deploy-dev"],
      ["production", "slipway-deploy-production"],
      ["production", "slipway-deploy-production"],
    ]);
  });
});
