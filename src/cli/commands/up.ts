import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { driverCall, readStackFiles, validatedConfig } from "../pinning";
import { upAndRecord } from "../update";
import { recordUpdate } from "../record";

/**
 * `slipway up --stack <stack>`: runs the update of a stack as its files are (after
 * `--no-up`, or to retry a failed update) and records its release in the ledger, once.
 */
export async function up(run: Run, stack: string): Promise<void> {
  run.deps.driver.prepare?.();
  const files = readStackFiles(run, stack);
  const config = await validatedConfig(run, stack);
  const result = await upAndRecord(run, files, config.role);
  const { record } = result;
  const version = result.version === undefined ? "" : ` (version ${result.version})`;
  const text = record.recorded
    ? `updated ${stack}${version}; recorded release #${record.release.id} (${record.release.kind}${record.release.source === undefined ? "" : ` from ${record.release.source}`}):\n` +
      Object.entries(record.release.images)
        .map(
          ([name, image]) =>
            `  ${name}: ${image.digest}${image.tag === undefined ? "" : ` ${image.tag}`}`,
        )
        .join("\n")
    : `updated ${stack}${version}; ${record.message}`;
  run.result(text, {
    stack,
    ...(result.version === undefined ? {} : { version: result.version }),
    changed: result.changed,
    recorded: record.recorded,
    ...(record.release === undefined ? {} : { release: record.release }),
  });
}

/**
 * `slipway record --stack <stack>`: records the release the stack's last update made, when
 * it was not made through slipway (`pulumi up`, a CI job). Idempotent: an update already
 * recorded, or one that deployed what the last release runs, adds nothing.
 */
export async function record(run: Run, stack: string): Promise<void> {
  const files = readStackFiles(run, stack);
  const update = await driverCall(run, stack, () => run.deps.driver.lastUpdate(stack));
  if (update === undefined) {
    throw new CliError(EXIT.refused, `${stack} has never been updated; nothing to record`, [
      `pulumi up --stack ${stack}`,
    ]);
  }
  const state = await driverCall(run, stack, () => run.deps.driver.state(stack));
  if (state.pending.length > 0) {
    throw new CliError(
      EXIT.refused,
      `an update of ${stack} was interrupted and left operations pending (${state.pending.join("; ")}); nothing was recorded`,
      [
        `pulumi refresh --stack ${stack} --clear-pending-creates --yes`,
        `pulumi up --stack ${stack}`,
      ],
    );
  }
  const outcome = recordUpdate(run, files, { outputs: state.outputs, update, by: "pulumi up" });
  run.result(
    outcome.recorded
      ? `recorded release #${outcome.release.id} of ${stack} (${outcome.release.kind}, version ${outcome.release.update.version ?? "?"})`
      : outcome.message,
    {
      stack,
      recorded: outcome.recorded,
      ...(outcome.recorded ? {} : { why: outcome.why }),
      ...(outcome.release === undefined ? {} : { release: outcome.release }),
    },
  );
}
