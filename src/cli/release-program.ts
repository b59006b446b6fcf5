/**
 * The release commands of `slipway` (promote, rollback, up, record, reject): what changes
 * which digests a stack runs, each ending in a stack update or a ledger entry. Registered on
 * the program by buildProgram; each action is a function of src/cli/commands.
 */
import { InvalidArgumentError, Option } from "commander";
import { DIGEST_PREFIX } from "../ledger/rollback";
import type { CommandSet } from "./stack-command";
import { collect, jsonOption, stackName, stackOf, stackOption, wholeNumber } from "./options";

function digestOrPrefix(value: string): string {
  if (!DIGEST_PREFIX.test(value)) {
    throw new InvalidArgumentError("expected sha256:<hex> or at least 4 of its first hex digits");
  }
  return value;
}

export function addReleaseCommands({ program, deps, run, onStack }: CommandSet): void {
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
        await (
          await import("./commands/promote")
        ).promote(run(options), {
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
    .addOption(stackOption())
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
        await (
          await import("./commands/rollback")
        ).rollback(run(options), {
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
    .command("switch")
    .summary("move every user of a blue/green service to the release on its preview route")
    .description(
      `A blue/green service (rollout.strategy: blueGreen) runs a release of another
digest than rollout.live beside the serving one, reachable only on its preview
route. switch sets rollout.live in Pulumi.<stack>.yaml to the digest the stack
runs for the service's image and runs the update: each host renames the
service's upstream file to the running preview release (no new container, no
reload, no connection closed); the previous release retires as after any release.

  --abort      remove the preview release instead: the service's image is pinned
               to the live digest again (a rollback to it), every user stays on it`,
    )
    .addOption(stackOption())
    .option(
      "--service <name>",
      "only this blue/green service (repeatable); default: every one",
      collect,
    )
    .option("--abort", "remove the preview release: pin the live digest again")
    .option("--no-up", "write the stack file only; run the update later with slipway up")
    .addOption(jsonOption())
    .addHelpText(
      "after",
      `\nExamples:\n  slipway switch --stack prod --service web\n  slipway switch --stack prod --service web --abort\n\nExit codes: slipway --help`,
    )
    .action(
      async (options: {
        stack?: string;
        service?: string[];
        abort?: boolean;
        up: boolean;
        json?: boolean;
      }) => {
        await (
          await import("./commands/switch")
        ).switchServices(run(options), {
          stack: await stackOf(deps, options.stack),
          ...(options.service === undefined ? {} : { services: options.service }),
          abort: options.abort === true,
          noUp: !options.up,
        });
      },
    );

  onStack("up", async (run, stack) => (await import("./commands/up")).up(run, stack))
    .summary("run the update of a stack as pinned and record the release")
    .description(
      "Runs the update of the stack as its files are now (after --no-up, or to\nretry a failed update) and records the release in the ledger.",
    );

  onStack("record", async (run, stack) => (await import("./commands/up")).record(run, stack))
    .summary("record the release of an update made with pulumi up (CI, quick start)")
    .description(
      `Records the release the stack's last update made in stacks/releases/<stack>.yaml,
for updates not made through slipway (pulumi up, a CI job): once per update,
and none for an update that deployed what the last release runs. Kind and
source come from the pins (promote --no-up, then pulumi up: a promotion).`,
    );

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
    .action(async (digest: string, options: { reason: string; undo?: boolean; json?: boolean }) => {
      (await import("./commands/reject")).reject(run(options), {
        digest,
        reason: options.reason,
        undo: options.undo === true,
      });
    });
}
