import { Command } from "commander";
import {
  collect,
  HELP_FOOTER,
  jsonOption,
  type Outcome,
  stackName,
  stackOf,
  stackOption,
  wholeNumber,
} from "./options";
import { addOperationCommands } from "./operations-program";
import { addReleaseCommands } from "./release-program";
import { commandSet } from "./stack-command";
import type { CliDeps } from "./context";
import { EXIT_CODES_HELP } from "./exit-codes";
import { slipwayVersion } from "../version";

const DESCRIPTION = `Promotion, rollback and history of Slipway stacks.

Promotion and rollback are stack updates pinned to digests: slipway writes the
digest into Pulumi.<stack>.yaml (comments kept, written atomically), runs the
update through Pulumi's Automation API on your configured backend, and records
each successful update in the release ledger stacks/releases/<stack>.yaml,
which git review sees.`;

/**
 * The `slipway` command tree. `outcome.code` is set by the command that ran; `by` is the
 * command line recorded in the ledger.
 */
export function buildProgram(deps: CliDeps, by: string, outcome: Outcome): Command {
  const program = new Command("slipway")
    .description(DESCRIPTION)
    .configureOutput({
      writeOut: (text) => deps.stdout(text),
      writeErr: (text) => deps.stderr(text),
    })
    .exitOverride()
    .configureHelp({ helpWidth: 80 })
    .showHelpAfterError("(run slipway <command> --help for usage)")
    .addHelpText("after", `\n${EXIT_CODES_HELP}`)
    .helpCommand(true)
    .version(slipwayVersion(), "-V, --version", "print the version of slipway")
    .option("--root <dir>", "project root (default: the nearest folder with Pulumi.yaml)");

  const commands = commandSet(program, deps, by, outcome);
  const { run, onStack } = commands;

  program
    .command("init")
    .summary("make this repository a Slipway project: stack files and workflows")
    .description(
      `Writes Pulumi.yaml (the program is the installed slipway package's), a build
stack Pulumi.dev.yaml (SBOM, scan gate and signature on), a promote stack
Pulumi.prod.yaml (verification on), GitHub workflows (preview, main to dev,
promote and rollback of prod) and .gitignore lines, with the images named
after the repository's Dockerfiles. Asks for missing values in a terminal;
prints the secrets to set (pulumi config set --secret) as next steps.

Refuses (exit 2, nothing written) outside a git repository, without a
Dockerfile, or with a malformed value; refuses (exit 3) to replace files that
exist unless --force.`,
    )
    .option("--registry <server/namespace>", "registry and namespace to push to, e.g. ghcr.io/acme")
    .option(
      "--host <user@address[:port]>",
      "the host to deploy to over SSH, e.g. deploy@203.0.113.10",
    )
    .option("--ssh-key <file>", "the SSH private key file for that host")
    .option("--port <port>", "the port your container listens on")
    .option("--health <path>", "the path that answers 200 when healthy, e.g. /health")
    .option(
      "--edge-image <ref>",
      "the edge proxy image pinned by digest (the official Caddy image)",
    )
    .option("--domain <name>", "the service's public name (routes with TLS); optional")
    .option("--yes", "never ask; every missing value is an error")
    .option("--force", "replace files that exist")
    .option("--dry-run", "print the files it would write; write nothing")
    .addHelpText(
      "after",
      `\nExample:\n  slipway init --registry ghcr.io/acme --host deploy@203.0.113.10 \\\n    --ssh-key ~/.ssh/id_ed25519 --port 8080 --health /health \\\n    --edge-image docker.io/library/caddy:2@sha256:<digest> --domain app.example.com\n\nExit codes: slipway --help`,
    )
    .action(
      async (options: {
        registry?: string;
        host?: string;
        sshKey?: string;
        port?: string;
        health?: string;
        edgeImage?: string;
        domain?: string;
        yes?: boolean;
        force?: boolean;
        dryRun?: boolean;
      }) => {
        await (
          await import("./commands/init")
        ).init(deps, {
          input: {
            ...(options.registry === undefined ? {} : { registry: options.registry }),
            ...(options.host === undefined ? {} : { host: options.host }),
            ...(options.sshKey === undefined ? {} : { "ssh-key": options.sshKey }),
            ...(options.port === undefined ? {} : { port: options.port }),
            ...(options.health === undefined ? {} : { health: options.health }),
            ...(options.edgeImage === undefined ? {} : { "edge-image": options.edgeImage }),
            ...(options.domain === undefined ? {} : { domain: options.domain }),
          },
          yes: options.yes === true,
          force: options.force === true,
          dryRun: options.dryRun === true,
        });
      },
    );

  addReleaseCommands(commands);

  onStack("history", async (run, stack) =>
    (await import("./commands/history")).history(run, stack),
  ).summary("the release ledger of a stack as a table");

  program
    .command("preview-summary")
    .summary("a stack preview as the short Markdown a pull request shows")
    .description(
      `Turns the output of \`pulumi preview --stack <stack> --json\` (a file, or - for
standard input) into a digest-focused Markdown summary: per image the old and
new digest and source revisions, the hosts a release is deployed to (and
whether only the service definition changes there); kept under GitHub's
comment size limit. Exit 2 on bad input or a file that cannot be read.`,
    )
    .argument("<preview>", "pulumi preview --json output, or - for standard input")
    .option("--stack <stack>", "stack name shown in the title", stackName)
    .option("--source-url <url>", "repository URL for revision links")
    .option("--log-url <url>", "link to the full preview log")
    .option("--max-length <n>", "cut the Markdown under this many characters")
    .option("--json", "print the summary as one JSON document instead of Markdown")
    .addHelpText("after", HELP_FOOTER)
    .action(
      async (
        preview: string,
        options: {
          stack?: string;
          sourceUrl?: string;
          logUrl?: string;
          maxLength?: string;
          json?: boolean;
        },
      ) => {
        const argv = [
          ...(options.json === true ? ["--json"] : []),
          ...(options.stack === undefined ? [] : ["--stack", options.stack]),
          ...(options.sourceUrl === undefined ? [] : ["--source-url", options.sourceUrl]),
          ...(options.logUrl === undefined ? [] : ["--log-url", options.logUrl]),
          ...(options.maxLength === undefined ? [] : ["--max-length", options.maxLength]),
          preview,
        ];
        const result = (await import("../preview/cli")).previewSummaryCommand(argv);
        deps.stdout(result.stdout);
        deps.stderr(result.stderr);
        outcome.code = result.code;
      },
    );

  onStack("status", async (run, stack) => (await import("./commands/status")).status(run, stack))
    .summary("what each host runs versus what the stack pins (drift)")
    .description(
      `Looks at what each host really runs (over ssh, or directly for transport
local): the running release container and its digest, the edge proxy's route
to it, and a request through the edge; the release record on the host
(/var/lib/slipway/<service>/release.json) is only a cross-check. Compares that
with what the stack pins (a build stack: what its last update deployed). A
stopped, removed or different release is DRIFT. Exit 5 on drift, 6 when a host
cannot be reached.`,
    );

  onStack("repair", async (run, stack) => (await import("./commands/repair")).repair(run, stack))
    .summary("re-run the pinned release on the hosts that drifted from it")
    .description(
      `Runs the status check, then one pulumi up that replaces (re-runs) the release
of every host that does not run what the stack pins — a release that was
stopped or removed by hand, another digest, the edge routing elsewhere — and
checks again. Hosts in sync are not touched; the ledger is not changed.`,
    );

  program
    .command("retention")
    .summary("delete old per-build tags from a stack's repositories")
    .description(
      `Keeps release tags (v1.2.3, 1.2.3, 1.2, 1), latest, dev, buildcache, tags
Slipway does not publish, and the newest N of each per-build kind
(dev-<count>-g<sha>, sha-*, pr-*) per repository: N is the repository's
slipway:registry.repositories.<image>.keepDevVersions (10 by default), or --keep.
Never deletes a digest pinned in any Pulumi.*.yaml or recorded in any ledger
under stacks/releases/. Referrers (attestations, signatures, SBOMs, and their
sha256-<hex> tags) go with their subject and stay with a kept one.

Deleting a manifest removes every tag on it, so a digest is deleted only when
none of its tags is kept. The registry must allow deletes; on a self-hosted
registry run its garbage collector afterwards to free the space
(scripts/registry-gc.sh for the local one).`,
    )
    .addOption(stackOption())
    .option(
      "--keep <n>",
      "how many of each per-build tag kind to keep (default: each repository's keepDevVersions)",
      wholeNumber(1),
    )
    .option("--dry-run", "print what would be deleted; delete nothing")
    .option("--image <name>", "only this image's repository (repeatable)", collect)
    .addOption(jsonOption())
    .addHelpText(
      "after",
      `\nExample:\n  slipway retention --stack dev --dry-run\n\nExit codes: slipway --help`,
    )
    .action(
      async (options: {
        stack?: string;
        keep?: number;
        dryRun?: boolean;
        image?: string[];
        json?: boolean;
      }) => {
        await (
          await import("./commands/retention")
        ).retention(run(options), {
          stack: await stackOf(deps, options.stack),
          ...(options.keep === undefined ? {} : { keep: options.keep }),
          dryRun: options.dryRun === true,
          ...(options.image === undefined ? {} : { images: options.image }),
        });
      },
    );

  addOperationCommands(commands);
  return program;
}
