import { Command, InvalidArgumentError, Option } from "commander";
import {
  collect,
  HELP_FOOTER,
  jsonOption,
  STACK_HELP,
  stackName,
  stackOf,
  wholeNumber,
  type Outcome,
} from "./options";
import { previewSummaryCommand } from "../preview/cli";
import { history } from "./commands/history";
import { init } from "./commands/init";
import { addOperationCommands } from "./operations-program";
import { promote } from "./commands/promote";
import { reject } from "./commands/reject";
import { repair } from "./commands/repair";
import { retention } from "./commands/retention";
import { rollback } from "./commands/rollback";
import { status } from "./commands/status";
import { record, up } from "./commands/up";
import type { CliDeps } from "./context";
import { Run } from "./context";
import { EXIT_CODES_HELP } from "./exit-codes";
import { DIGEST_PREFIX } from "../ledger/rollback";
import { slipwayVersion } from "../version";

function digestOrPrefix(value: string): string {
  if (!DIGEST_PREFIX.test(value)) {
    throw new InvalidArgumentError("expected sha256:<hex> or at least 4 of its first hex digits");
  }
  return value;
}

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

  const run = (options: { json?: boolean }) => new Run(deps, options.json === true, by);

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
        await init(deps, {
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

  program
    .command("promote")
    .summary("pin the digests a source stack runs into a target stack and update it")
    .description(
      `Pins the digests the source stack exported after its last successful update
into Pulumi.<to>.yaml (slipway:images.<name>.pin: digest, tag, revision), runs
the update of the target, and records the release in its ledger.

Refuses (exit 3, nothing changed) when the source's last update did not
succeed or was interrupted (--force promotes anyway), when a digest is not in the registry, or when it lacks a platform the
source builds for (a single-platform image is refused when more than one
platform is configured); a digest rejected with slipway reject (always), one
that failed its health check on either stack, or one that ran on the source
for less than slipway:promotion.minSoakMinutes of the target (--force
promotes these anyway).

--auto (for a scheduled workflow) promotes from slipway:promotion.from only
digests that soaked there, and nothing while the target's last release is a
rollback or a hand pin, until someone promotes by hand again; a run that
finds nothing eligible, or a hold, exits 0 saying why.`,
    )
    .option(
      "--from <stack>",
      "source stack (a build stack, e.g. dev); with --auto: slipway:promotion.from",
      stackName,
    )
    .requiredOption("--to <stack>", "target stack (a promote stack, e.g. prod)", stackName)
    .option("--image <name>", "promote only this image (repeatable); default: all", collect)
    .option("--no-up", "pin only; run the update later with slipway up (or pulumi up)")
    .option(
      "--force",
      "promote even when the source's last update failed or was interrupted, a digest failed its health check, or it has not soaked",
    )
    .option(
      "--auto",
      "promote from slipway:promotion.from what soaked there (minSoakMinutes); nothing while the target holds a rollback or a hand pin (exit 0)",
    )
    .addOption(jsonOption())
    .addHelpText(
      "after",
      `\nExample:\n  slipway promote --from dev --to prod\n\nExit codes: slipway --help`,
    )
    .action(
      async (options: {
        from?: string;
        to: string;
        image?: string[];
        up: boolean;
        force?: boolean;
        auto?: boolean;
        json?: boolean;
      }) => {
        await promote(run(options), {
          ...(options.from === undefined ? {} : { from: options.from }),
          auto: options.auto === true,
          to: options.to,
          ...(options.image === undefined ? {} : { images: options.image }),
          noUp: !options.up,
          force: options.force === true,
        });
      },
    );

  program
    .command("rollback")
    .summary("pin an earlier release from the ledger and update the stack")
    .description(
      `Pins the digests of an earlier release from the stack's ledger and runs the
update.

  --steps N    the Nth release before what the stack pins now (default 1); a
               rollback is a release too, so two rollbacks return to the start
  --release N  release #N of the ledger (slipway history shows the ids)
  --to D       the newest release that ran digest D, or the one digest that
               starts with D (at least 4 hex digits); only that image changes

On a stack that builds an image, the digest is pinned beside its build: the
stack runs it until a commit changes the image (the next build release) or
--unpin ends the pin.

  --unpin      remove the rollback pins (of --image/--service, else all) and
               run the update: those images are built from the checkout again

Refuses (exit 3, nothing changed) a digest that is no longer in the registry.`,
    )
    .option("--stack <stack>", STACK_HELP, stackName)
    .addOption(
      new Option("--release <n>", "roll back to release #N of the ledger")
        .argParser(wholeNumber(1))
        .conflicts(["to", "steps"]),
    )
    .addOption(
      new Option("--to <digest>", "roll back to this digest or unambiguous prefix")
        .argParser(digestOrPrefix)
        .conflicts("steps"),
    )
    .addOption(
      new Option("--steps <n>", "go back N releases (default 1)").argParser(wholeNumber(1)),
    )
    .option("--image <name>", "roll back only this image (repeatable); default: all", collect)
    .option(
      "--service <name>",
      "roll back only this service's image (repeatable); the other services stay as they are",
      collect,
    )
    .addOption(
      new Option(
        "--unpin",
        "end a build stack's rollback pins: build from the checkout again",
      ).conflicts(["release", "to", "steps"]),
    )
    .option("--no-up", "pin only; run the update later with slipway up")
    .addOption(jsonOption())
    .addHelpText(
      "after",
      `\nExamples:\n  slipway rollback --stack prod\n  slipway rollback --stack prod --release 4\n  slipway rollback --stack prod --to 3f1b\n  slipway rollback --stack prod --service api\n\nExit codes: slipway --help`,
    )
    .action(
      async (options: {
        stack?: string;
        release?: number;
        to?: string;
        steps?: number;
        image?: string[];
        service?: string[];
        unpin?: boolean;
        up: boolean;
        json?: boolean;
      }) => {
        await rollback(run(options), {
          ...(options.unpin === true ? { unpin: true } : {}),
          ...(options.service === undefined ? {} : { services: options.service }),
          stack: await stackOf(deps, options.stack),
          ...(options.release === undefined ? {} : { release: options.release }),
          ...(options.to === undefined ? {} : { to: options.to }),
          ...(options.steps === undefined ? {} : { steps: options.steps }),
          ...(options.image === undefined ? {} : { images: options.image }),
          noUp: !options.up,
        });
      },
    );

  program
    .command("up")
    .summary("run the update of a stack as pinned and record the release")
    .description(
      "Runs the update of the stack as its files are now (after --no-up, or to\nretry a failed update) and records the release in the ledger.",
    )
    .option("--stack <stack>", STACK_HELP, stackName)
    .addOption(jsonOption())
    .addHelpText("after", HELP_FOOTER)
    .action(async (options: { stack?: string; json?: boolean }) => {
      await up(run(options), await stackOf(deps, options.stack));
    });

  program
    .command("record")
    .summary("record the release of an update made with pulumi up (CI, quick start)")
    .description(
      `Records the release the stack's last update made in stacks/releases/<stack>.yaml,
for updates not made through slipway (pulumi up, a CI job): once per update,
and none for an update that deployed what the last release runs. Kind and
source come from the pins (promote --no-up, then pulumi up: a promotion).`,
    )
    .option("--stack <stack>", STACK_HELP, stackName)
    .addOption(jsonOption())
    .addHelpText("after", HELP_FOOTER)
    .action(async (options: { stack?: string; json?: boolean }) => {
      await record(run(options), await stackOf(deps, options.stack));
    });

  program
    .command("reject")
    .summary("refuse a digest on every stack (promote, rollback, pulumi up); --undo lifts it")
    .description(
      `Records in stacks/releases/rejected-digests.yaml that no stack may deploy a
digest: from then on slipway promote, slipway rollback and the program itself
(at preview) refuse it on every stack whose ledger is in stacks/releases/,
naming who rejected it, when and why; slipway status marks a host that still
runs it. --undo lifts the rejection (recorded too). Commit the file: it is
reviewed in git like the ledgers.

The digest may be a prefix (at least 4 hex digits) of a digest pinned in a
Pulumi.<stack>.yaml or recorded in a ledger; an ambiguous prefix is refused,
naming the candidates.`,
    )
    .argument("<digest>", "sha256:<hex>, or at least 4 of its first hex digits", digestOrPrefix)
    .requiredOption("--reason <text>", "why (recorded with your name and the time)")
    .option("--undo", "lift the rejection of the digest")
    .addOption(jsonOption())
    .addHelpText(
      "after",
      `\nExamples:\n  slipway reject 3f1b --reason "corrupts uploads (#412)"\n  slipway reject 3f1b --undo --reason "fixed by migration 0042"\n\nExit codes: slipway --help`,
    )
    .action((digest: string, options: { reason: string; undo?: boolean; json?: boolean }) => {
      reject(run(options), { digest, reason: options.reason, undo: options.undo === true });
    });

  program
    .command("history")
    .summary("the release ledger of a stack as a table")
    .option("--stack <stack>", STACK_HELP, stackName)
    .addOption(jsonOption())
    .addHelpText("after", HELP_FOOTER)
    .action(async (options: { stack?: string; json?: boolean }) => {
      await history(run(options), await stackOf(deps, options.stack));
    });

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
      (
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
        const result = previewSummaryCommand(argv);
        deps.stdout(result.stdout);
        deps.stderr(result.stderr);
        outcome.code = result.code;
      },
    );

  program
    .command("status")
    .summary("what each host runs versus what the stack pins (drift)")
    .description(
      `Looks at what each host really runs (over ssh, or directly for transport
local): the running release container and its digest, the edge proxy's route
to it, and a request through the edge; the release record on the host
(/var/lib/slipway/<service>/release.json) is only a cross-check. Compares that
with what the stack pins (a build stack: what its last update deployed). A
stopped, removed or different release is DRIFT. Exit 5 on drift, 6 when a host
cannot be reached.`,
    )
    .option("--stack <stack>", STACK_HELP, stackName)
    .addOption(jsonOption())
    .addHelpText("after", HELP_FOOTER)
    .action(async (options: { stack?: string; json?: boolean }) => {
      outcome.code = await status(run(options), await stackOf(deps, options.stack));
    });

  program
    .command("repair")
    .summary("re-run the pinned release on the hosts that drifted from it")
    .description(
      `Runs the status check, then one pulumi up that replaces (re-runs) the release
of every host that does not run what the stack pins — a release that was
stopped or removed by hand, another digest, the edge routing elsewhere — and
checks again. Hosts in sync are not touched; the ledger is not changed.`,
    )
    .option("--stack <stack>", STACK_HELP, stackName)
    .addOption(jsonOption())
    .addHelpText("after", HELP_FOOTER)
    .action(async (options: { stack?: string; json?: boolean }) => {
      outcome.code = await repair(run(options), await stackOf(deps, options.stack));
    });

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
    .option("--stack <stack>", STACK_HELP, stackName)
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
        await retention(run(options), {
          stack: await stackOf(deps, options.stack),
          ...(options.keep === undefined ? {} : { keep: options.keep }),
          dryRun: options.dryRun === true,
          ...(options.image === undefined ? {} : { images: options.image }),
        });
      },
    );

  addOperationCommands(program, deps, by, outcome);
  return program;
}
