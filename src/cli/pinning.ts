import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
// The config modules themselves: the folder's index also loads @pulumi/pulumi (slow).
import { ConfigError } from "../config/errors";
import { registrySchema, type RegistryConfig, type SlipwayConfig } from "../config/schema";
import { markSecrets, type ConfigSource } from "../config/source";
import { validateConfig } from "../config/validate";
import { repositoryFor } from "../images/plan";
import {
  appendRelease,
  ledgerFile,
  LedgerError,
  parseLedger,
  readIfExists,
  readPins,
  setPins,
  writeFileAtomic,
  type Ledger,
  type PinUpdate,
  type Release,
  type ReleaseImage,
  type ReleaseKind,
  type StackPin,
} from "../ledger";
import { digestRef } from "../reference";
import { recordedTag } from "../registry";
import { whileUpdating, type Run } from "./context";
import { DriverError } from "./driver";
import { CliError } from "./errors";
import { EXIT } from "./exit-codes";
import { imagesOutput } from "./outputs";
import { stackFilePath } from "./stack-config";

/** A stack's files as read at the start of a command; written back only if unchanged. */
export interface StackFiles {
  readonly stack: string;
  /** Absolute path of `Pulumi.<stack>.yaml`. */
  readonly file: string;
  /** `Pulumi.<stack>.yaml`, for messages. */
  readonly display: string;
  readonly text: string;
  readonly pins: Readonly<Record<string, StackPin>>;
  /** Absolute path of the ledger. */
  readonly ledgerPath: string;
  /** The ledger's text; undefined when the stack has no ledger yet. */
  readonly ledgerText: string | undefined;
  readonly ledger: Ledger;
}

/**
 * Turns a ledger or config problem into a refusal (exit 3) with its next commands; a config
 * problem's next command is `again` once the stack file is fixed.
 */
export function refusal(
  error: unknown,
  again?: { readonly run: Run; readonly stack: string },
): never {
  if (error instanceof LedgerError) {
    throw new CliError(EXIT.refused, error.message, error.next);
  }
  if (error instanceof ConfigError) {
    throw new CliError(
      EXIT.refused,
      error.message,
      again === undefined
        ? []
        : [`${again.run.by}  # once Pulumi.${again.stack}.yaml is fixed as listed above`],
    );
  }
  throw error;
}

/** Reads a stack file and its ledger; refuses a missing file, a merge conflict, a bad ledger. */
export function readStackFiles(run: Run, stack: string): StackFiles {
  const root = run.deps.root;
  const file = stackFilePath(root, stack);
  const display = path.basename(file);
  const text = readIfExists(file);
  if (text === undefined) {
    const known = fs
      .readdirSync(root)
      .flatMap((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.slice(1, 2) ?? []);
    throw new CliError(
      EXIT.refused,
      `there is no ${display} in ${root}; stacks here: ${known.join(", ") || "none"}`,
      [`pulumi stack init ${stack}  # then write ${display}`],
    );
  }
  const ledgerPath = path.join(root, ledgerFile(stack));
  const ledgerText = readIfExists(ledgerPath);
  try {
    return {
      stack,
      file,
      display,
      text,
      pins: readPins(text, display),
      ledgerPath,
      ledgerText,
      ledger: ledgerText === undefined ? { stack, releases: [] } : parseLedger(ledgerText, stack),
    };
  } catch (error) {
    return refusal(error);
  }
}

/** A stack's config as the engine gives it, and the parts of it needed before validation. */
export interface StackSettings {
  readonly source: ConfigSource;
  /** The raw values with secret leaves wrapped. */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly registry: RegistryConfig;
}

/** Reads a stack's config through the driver. */
export async function stackSettings(run: Run, stack: string): Promise<StackSettings> {
  const source = await driverCall(run, stack, () => run.deps.driver.config(stack));
  const raw = markSecrets(source);
  const registry = registrySchema.safeParse(raw.registry);
  if (!registry.success) {
    // Let validation name every problem with its path.
    try {
      validateConfig(stack, raw, { root: run.deps.root });
    } catch (error) {
      return refusal(error, { run, stack });
    }
    throw new CliError(EXIT.refused, `slipway:registry of ${stack} is not valid`);
  }
  return { source, raw, registry: registry.data };
}

/** The fully validated config of a stack. */
export async function validatedConfig(run: Run, stack: string): Promise<SlipwayConfig> {
  const source = await driverCall(run, stack, () => run.deps.driver.config(stack));
  try {
    return validateConfig(stack, markSecrets(source), { root: run.deps.root });
  } catch (error) {
    return refusal(error, { run, stack });
  }
}

/** Runs a driver call that reads; its failures are refusals or unreachable backends. */
export async function driverCall<T>(run: Run, stack: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DriverError) {
      switch (error.kind) {
        case "not-found":
          throw new CliError(EXIT.refused, error.message, [`pulumi stack init ${stack}`]);
        case "locked":
        case "failed":
        case "unavailable":
          throw new CliError(EXIT.unreachable, error.message, [
            ". scripts/pulumi-env.sh  # puts the pulumi CLI on PATH; log in to the backend, then",
            run.by,
          ]);
        default: {
          const unreachable: never = error.kind;
          return unreachable;
        }
      }
    }
    throw error;
  }
}

/** The default repository of an image in a stack: `<server>/<namespace>/<name>`. */
export function defaultRepository(registry: RegistryConfig, name: string): string {
  return repositoryFor(registry, name);
}

/** What the ledger records of each pinned image, from the pins of a stack file's text. */
export function releaseImagesFromPins(
  pins: Readonly<Record<string, StackPin>>,
  registry: RegistryConfig,
): Record<string, ReleaseImage> {
  const images: Record<string, ReleaseImage> = {};
  for (const [name, pin] of Object.entries(pins)) {
    if (pin.digest === undefined) {
      continue;
    }
    images[name] = {
      ref: digestRef(pin.repository ?? defaultRepository(registry, name), pin.digest),
      digest: pin.digest,
      ...(pin.tag === undefined ? {} : { tag: pin.tag }),
      ...(pin.revision === undefined ? {} : { revision: pin.revision }),
    };
  }
  return images;
}

export interface PinAndUpOptions {
  readonly kind: ReleaseKind;
  /** Pin only; the update runs later (`slipway up`). */
  readonly noUp: boolean;
  readonly source?: string;
  readonly restores?: number;
}

export interface PinAndUpResult {
  /** The release recorded in the ledger; undefined with --no-up. */
  readonly release?: Release;
}

/**
 * The shared end of promote and rollback: pins the digests (refusing a change that would
 * make the stack's config invalid), writes the stack file atomically, runs the update and
 * records the release.
 */
export async function pinAndUp(
  run: Run,
  files: StackFiles,
  settings: StackSettings,
  updates: Readonly<Record<string, PinUpdate>>,
  options: PinAndUpOptions,
): Promise<PinAndUpResult> {
  const stack = files.stack;
  let text: string;
  try {
    text = setPins(files.text, updates, files.display);
    const images = (parse(text) as { config?: Record<string, unknown> }).config?.["slipway:images"];
    validateConfig(
      stack,
      markSecrets({
        ...settings.source,
        values: { ...settings.source.values, images },
        stackFile: text,
      }),
      { root: run.deps.root },
    );
    writeFileAtomic(files.file, text, {
      expected: files.text,
      display: files.display,
      next: [run.by],
    });
  } catch (error) {
    return refusal(error, { run, stack });
  }
  for (const [name, update] of Object.entries(updates)) {
    run.progress(
      `pinned ${name} ${update.digest}${typeof update.tag === "string" ? ` (${update.tag})` : ""} in ${files.display}`,
    );
  }
  if (options.noUp) {
    return {};
  }
  return { release: await upAndRecord(run, { ...files, text }, settings.registry, options) };
}

/** Runs the update of a stack whose files are as given, then records the release. */
export async function upAndRecord(
  run: Run,
  files: StackFiles,
  registry: RegistryConfig,
  options: Omit<PinAndUpOptions, "noUp">,
): Promise<Release> {
  const stack = files.stack;
  const retry = `slipway up --stack ${stack}`;
  run.progress(`running pulumi up on ${stack}…`);
  let outcome;
  try {
    outcome = await whileUpdating(() =>
      run.deps.driver.up(stack, {
        onOutput: (chunk) => run.deps.stderr(chunk),
        ...(run.deps.signal === undefined ? {} : { signal: run.deps.signal }),
      }),
    );
  } catch (error) {
    if (!(error instanceof DriverError)) {
      throw error;
    }
    const interrupted = run.deps.signal?.aborted === true;
    const rollbackHint =
      files.ledger.releases.length > 0
        ? [
            `slipway rollback --stack ${stack}  # or go back to release #${files.ledger.releases.length}`,
          ]
        : [];
    const pinned = `${files.display} keeps the new pins; the ledger is unchanged`;
    switch (error.kind) {
      case "locked":
        throw new CliError(EXIT.updateFailed, `${error.message}\n${pinned}`, [
          `${retry}  # once the other update has finished`,
          `pulumi cancel --stack ${stack}  # only if no update is really running`,
        ]);
      case "failed":
      case "unavailable":
      case "not-found":
        throw new CliError(
          EXIT.updateFailed,
          `${interrupted ? `the update of ${stack} was interrupted` : `the update of ${stack} failed`}: ${error.message}\n${pinned}`,
          [
            ...(interrupted
              ? [`pulumi cancel --stack ${stack}  # if pulumi says an update is still in progress`]
              : []),
            `${retry}  # retry once the cause is fixed`,
            ...rollbackHint,
          ],
        );
      default: {
        const unreachable: never = error.kind;
        return unreachable;
      }
    }
  }
  let images: Record<string, ReleaseImage>;
  try {
    images = Object.fromEntries(
      Object.entries(imagesOutput(outcome.outputs, stack)).map(([name, image]) => {
        const tag = recordedTag(image.tags) ?? files.pins[name]?.tag;
        const revision = image.revision ?? files.pins[name]?.revision;
        return [
          name,
          {
            ref: image.ref,
            digest: image.digest,
            ...(tag === undefined ? {} : { tag }),
            ...(revision === undefined ? {} : { revision }),
          },
        ];
      }),
    );
  } catch {
    images = releaseImagesFromPins(readPins(files.text, files.display), registry);
  }
  try {
    // Read the ledger again: another release may have been recorded while this update waited
    // for the stack's lock. Updates of a stack never overlap, so appending now keeps time order.
    const ledgerText = readIfExists(files.ledgerPath);
    const appended = appendRelease(ledgerText, stack, {
      at: run.nowIso(),
      kind: options.kind,
      by: run.by,
      user: run.deps.user,
      ...(options.source === undefined ? {} : { source: options.source }),
      ...(options.restores === undefined ? {} : { restores: options.restores }),
      images,
      update: {
        result: "succeeded",
        ...(outcome.version === undefined ? {} : { version: outcome.version }),
        seconds: outcome.seconds,
      },
    });
    writeFileAtomic(files.ledgerPath, appended.text, {
      expected: ledgerText,
      display: ledgerFile(stack),
    });
    run.progress(`recorded release #${appended.release.id} in ${ledgerFile(stack)}`);
    return appended.release;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(
      EXIT.updateFailed,
      `${stack} was updated${outcome.version === undefined ? "" : ` (version ${outcome.version})`}, but the release could not be recorded: ${message}`,
      [
        `git status  # resolve ${ledgerFile(stack)}, then`,
        `${retry}  # re-runs the (unchanged) update and records it`,
      ],
    );
  }
}
