import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
// The config modules themselves: the folder's index also loads @pulumi/pulumi (slow).
import { ConfigError } from "../config/errors";
import { registrySchema, type RegistryConfig } from "../config/registry";
import type { SlipwayConfig } from "../config/schema";
import { markSecrets, type ConfigSource } from "../config/source";
import { slipwayVersion } from "../version";
import { validateConfig } from "../config/validate";
import { repositoryFor } from "../images/plan";
import {
  ledgerFile,
  LedgerError,
  parseLedger,
  readIfExists,
  readPins,
  setLive,
  setPins,
  writeFileAtomic,
  type PinUpdate,
} from "../ledger";
import type { Run } from "./context";
import { DriverError } from "./driver";
import { CliError } from "./errors";
import { EXIT } from "./exit-codes";
import type { StackRole } from "./failure";
import { stackFilePath, type StackFiles } from "./stack-config";
import { upAndRecord, type UpResult } from "./update";

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

/** Writes a stack file's new text atomically; refuses when the file changed since it was read. */
export function writeStackFile(run: Run, files: StackFiles, text: string): void {
  writeFileAtomic(files.file, text, {
    expected: files.text,
    display: files.display,
    next: [run.by],
  });
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
interface StackSettings {
  readonly source: ConfigSource;
  /** The raw values with secret leaves wrapped. */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly registry: RegistryConfig;
}

/** A stack's role from its raw config (`build` unless it says `promote`). */
export function roleOf(raw: Readonly<Record<string, unknown>>): StackRole {
  return raw.role === "promote" ? "promote" : "build";
}

/** Reads a stack's config through the driver. */
export async function stackSettings(run: Run, stack: string): Promise<StackSettings> {
  const source = await driverCall(run, stack, () => run.deps.driver.config(stack));
  const raw = markSecrets(source);
  const registry = registrySchema.safeParse(raw.registry);
  if (!registry.success) {
    // Let validation name every problem with its path.
    try {
      validateConfig(stack, raw, {
        root: run.deps.root,
        installedVersion: slipwayVersion(),
      });
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
    return validateConfig(stack, markSecrets(source), {
      root: run.deps.root,
      installedVersion: slipwayVersion(),
    });
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
        case "pending":
          throw new CliError(EXIT.refused, error.message, [
            `pulumi cancel --stack ${stack} --yes  # only if no update of ${stack} is running`,
            run.by,
          ]);
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

interface PinAndUpOptions {
  /** Pin only; the update runs later (`slipway up`, `pulumi up`, CI). */
  readonly noUp: boolean;
  /** Blue/green services' `rollout.live` to set beside the pins, by service. */
  readonly live?: Readonly<Record<string, string>>;
  /** How long a locked stack is waited for (a rollback that stopped a canary's update). */
  readonly lockWaitSeconds?: number;
}

interface PinAndUpResult {
  /** The update and what was recorded; undefined with --no-up. */
  readonly up?: UpResult;
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
    text = setLive(setPins(files.text, updates, files.display), options.live ?? {}, files.display);
    const config = (parse(text) as { config?: Record<string, unknown> }).config;
    const written = Object.keys(options.live ?? {}).length > 0;
    validateConfig(
      stack,
      markSecrets({
        ...settings.source,
        values: {
          ...settings.source.values,
          images: config?.["slipway:images"],
          ...(written ? { services: config?.["slipway:services"] } : {}),
        },
        stackFile: text,
      }),
      { root: run.deps.root },
    );
    writeStackFile(run, files, text);
  } catch (error) {
    return refusal(error, { run, stack });
  }
  for (const [name, update] of Object.entries(updates)) {
    run.progress(
      `pinned ${name} ${update.digest}${typeof update.tag === "string" ? ` (${update.tag})` : ""} in ${files.display}`,
    );
  }
  for (const [service, digest] of Object.entries(options.live ?? {})) {
    run.progress(`set ${service}'s live release to ${digest} in ${files.display} (blue/green)`);
  }
  if (options.noUp) {
    return {};
  }
  return {
    up: await upAndRecord(run, { ...files, text }, roleOf(settings.raw), options.lockWaitSeconds),
  };
}
