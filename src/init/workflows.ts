/**
 * The GitHub workflows `slipway init` writes: a pull request previews both stacks and posts
 * the digest summary; main deploys dev; promotion (and rollback) of prod is started by hand
 * and waits for the `production` environment's approval. Every third-party action is pinned
 * by commit (actions.ts).
 */
import { ledgerFile } from "../ledger/ledger";
import { pinned } from "./actions";

/** The secrets every job that runs Pulumi reads, and the SSH key the stacks name. */
const PULUMI_ENV = `      PULUMI_ACCESS_TOKEN: \${{ secrets.PULUMI_ACCESS_TOKEN }}
      PULUMI_CONFIG_PASSPHRASE: \${{ secrets.PULUMI_CONFIG_PASSPHRASE }}`;

/**
 * The head of a job that deploys to a GitHub environment: one deploy of it at a time, never
 * cancelled half-way, allowed to push the pins and the ledger back, with Pulumi's env.
 */
function deployJob(environment: string): string {
  return `    environment: ${environment}
    concurrency:
      group: slipway-deploy-${environment}
      cancel-in-progress: false
    permissions:
      contents: write
    env:
${PULUMI_ENV}
    steps:`;
}

/** Checkout, Node, the locked dependencies (Slipway among them). */
function setup(fetchAll: boolean): string {
  return `      - uses: ${pinned("checkout")}
${fetchAll ? "        with:\n          # Tags and labels come from git history.\n          fetch-depth: 0\n" : ""}      - uses: ${pinned("setupNode")}
        with:
          node-version: 20
          cache: npm
      - run: npm ci
      - name: Install the Pulumi CLI
        uses: ${pinned("pulumi")}`;
}

/** The deploy key the stacks name (slipway:hosts[].privateKeyFile), from a secret, mode 0600. */
function sshKey(keyFile: string): string {
  const target = keyFile.startsWith("~/") ? `"$HOME/${keyFile.slice(2)}"` : `"${keyFile}"`;
  return `      - name: The deploy key
        env:
          SLIPWAY_SSH_KEY: \${{ secrets.SLIPWAY_SSH_KEY }}
        run: |
          umask 077
          mkdir -p "$(dirname ${target})"
          printf '%s\\n' "$SLIPWAY_SSH_KEY" > ${target}`;
}

/** Commits what a job changed (pins, ledger) back to main. */
function commitBack(paths: string, message: string): string {
  return `        run: |
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
          git add -A -- ${paths}
          if git diff --cached --quiet; then
            echo "Nothing to commit."
            exit 0
          fi
          git commit -m "${message}"
          git pull --rebase origin main
          git push origin HEAD:main`;
}

export function previewWorkflow(): string {
  return `# Pull requests: \`pulumi preview\` of dev and prod, and Slipway's digest summary (what each
# image would run, before and after) posted as one comment per stack, edited on each push.
# Previews never build or push images. Written by slipway init.
name: Slipway preview

on:
  pull_request:
    branches: [main]

permissions: {}

concurrency:
  group: slipway-preview-\${{ github.event.pull_request.number }}
  cancel-in-progress: true

jobs:
  preview:
    name: Preview \${{ matrix.stack }}
    # Pull requests from forks get no secrets.
    if: github.event.pull_request.head.repo.full_name == github.repository
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    strategy:
      fail-fast: false
      matrix:
        stack: [dev, prod]
    env:
      STACK: \${{ matrix.stack }}
${PULUMI_ENV}
    steps:
${setup(true)}
      - name: Preview and summarize
        env:
          SOURCE_URL: \${{ github.server_url }}/\${{ github.repository }}
          LOG_URL: \${{ github.server_url }}/\${{ github.repository }}/actions/runs/\${{ github.run_id }}
        run: |
          pulumi preview --stack "$STACK" --json --non-interactive > "$RUNNER_TEMP/preview.json"
          npx slipway preview-summary --stack "$STACK" \\
            --source-url "$SOURCE_URL" --log-url "$LOG_URL" "$RUNNER_TEMP/preview.json" \\
            > "$RUNNER_TEMP/summary.md"
          cat "$RUNNER_TEMP/summary.md" >> "$GITHUB_STEP_SUMMARY"
      - name: Post the summary
        uses: ${pinned("githubScript")}
        env:
          SUMMARY_FILE: \${{ runner.temp }}/summary.md
        with:
          github-token: \${{ github.token }}
          script: |
            const fs = require("node:fs");
            const body = fs.readFileSync(process.env.SUMMARY_FILE, "utf8");
            const marker = body.split("\\n", 1)[0];
            const { owner, repo } = context.repo;
            const issue_number = context.issue.number;
            const comments = await github.paginate(github.rest.issues.listComments, {
              owner, repo, issue_number, per_page: 100,
            });
            const previous = comments.find(
              (comment) => comment.user?.type === "Bot" && comment.body?.startsWith(marker),
            );
            if (previous) {
              await github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body });
            } else {
              await github.rest.issues.createComment({ owner, repo, issue_number, body });
            }
`;
}

export function devWorkflow(keyFile: string): string {
  return `# main: \`slipway up --stack dev\` builds the images, attests, scans and signs each digest,
# pushes it and deploys it; the release ledger (${ledgerFile("dev")}) goes back to main.
# One dev deploy at a time. Written by slipway init.
name: Slipway dev

on:
  push:
    branches: [main]

permissions: {}

jobs:
  up:
    name: slipway up dev
    runs-on: ubuntu-latest
${deployJob("dev")}
${setup(true)}
      - uses: ${pinned("buildx")}
      # The supply chain of Pulumi.dev.yaml: oras attaches attestations, syft makes the SBOM,
      # trivy is the scan gate, cosign signs.
      - uses: ${pinned("oras")}
      - uses: ${pinned("syft")}
      - uses: ${pinned("trivy")}
      - uses: ${pinned("cosign")}
${sshKey(keyFile)}
      - run: npx slipway up --stack dev
      - name: Commit the ledger
        env:
          ACTOR: \${{ github.actor }}
${commitBack(ledgerFile("dev"), "slipway up dev (pushed by $ACTOR)")}
`;
}

export function promoteWorkflow(keyFile: string): string {
  return `# Promotion and rollback of prod, started by hand. The job runs in the \`production\`
# environment: it waits for that environment's reviewers (set them in the repository's
# settings). One prod deploy at a time, never cancelled half-way; the pins and the ledger go
# back to main. Written by slipway init.
name: Slipway promote

on:
  workflow_dispatch:
    inputs:
      action:
        description: "promote: run dev's digests in prod; rollback: return prod to an earlier release"
        type: choice
        options: [promote, rollback]
        default: promote
        required: true
      to:
        description: "rollback: the digest to return to (empty: the previous release)"
        type: string
        default: ""
        required: false

permissions: {}

jobs:
  release:
    name: \${{ inputs.action }} prod
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
${deployJob("production")}
${setup(false)}
      # cosign verifies each digest before it runs (Pulumi.prod.yaml slipway:verify).
      - uses: ${pinned("cosign")}
${sshKey(keyFile)}
      - name: slipway \${{ inputs.action }}
        env:
          ACTION: \${{ inputs.action }}
          TO: \${{ inputs.to }}
        run: |
          if [ "$ACTION" = promote ]; then
            npx slipway promote --from dev --to prod
          elif [ -n "$TO" ]; then
            npx slipway rollback --stack prod --to "$TO"
          else
            npx slipway rollback --stack prod
          fi
      - name: Commit the pins and the ledger
        env:
          ACTION: \${{ inputs.action }}
          ACTOR: \${{ github.actor }}
${commitBack(`Pulumi.prod.yaml ${ledgerFile("prod")}`, "slipway $ACTION prod (started by $ACTOR)")}
`;
}
