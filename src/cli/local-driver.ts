import * as fs from "node:fs";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import type { ConfigSource } from "../config";
import {
  DriverError,
  type StackDriver,
  type StackState,
  type UpdateInfo,
  type UpOptions,
  type UpOutcome,
} from "./driver";
import { engineCall, lastUpdateOf, upArgs } from "./engine-calls";
import { engineFailure } from "./failure";
import { ConfigError } from "../config/errors";
import {
  configFromFile,
  foreignSecretIssues,
  needsEngine,
  parseConfigValue,
  securePaths,
  stackFilePath,
} from "./stack-config";

type Automation = typeof import("@pulumi/pulumi/automation");

function plainOutputs(outputs: Record<string, { value: unknown }>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value]));
}

function lastLines(text: string, count: number): string {
  return text.trim().split("\n").slice(-count).join("\n");
}

/**
 * A page size that holds a stack's whole history: without one, `pulumi stack history` lists
 * only the newest 10 updates, and a file backend's version (the newest update's place in the
 * history) stopped at 10.
 */
const WHOLE_HISTORY = 1_000_000;

/** The signature Pulumi marks a secret value with in a checkpoint. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A checkpoint value as a plain value: `--show-secrets` secrets carry their plaintext as JSON. */
function checkpointValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(checkpointValue);
  }
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (SECRET_SIG in record && typeof record.plaintext === "string") {
      return checkpointValue(JSON.parse(record.plaintext));
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, checkpointValue(v)]));
  }
  return value;
}

/** Outputs and pending operations of an exported deployment (`pulumi stack export`). */
function stateOfDeployment(deployment: unknown): StackState {
  const body = ((deployment as { deployment?: unknown } | undefined)?.deployment ?? {}) as {
    resources?: { type?: string; outputs?: unknown }[];
    pending_operations?: { type?: string; resource?: { type?: string; urn?: string } }[];
  };
  const root = (body.resources ?? []).find((resource) => resource.type === "pulumi:pulumi:Stack");
  const outputs = checkpointValue(root?.outputs ?? {}) as Record<string, unknown>;
  const pending = (body.pending_operations ?? []).map((operation) => {
    const urn = operation.resource?.urn ?? "";
    const name = urn.slice(urn.lastIndexOf("::") + 2);
    return `${operation.resource?.type ?? "resource"} ${name}, interrupted while ${operation.type ?? "changing"}`;
  });
  return { outputs, pending };
}

/**
 * The real driver: Pulumi's Automation API (`LocalWorkspace`) on the project directory,
 * with the user's backend, credentials and secrets provider. Needs the `pulumi` CLI on PATH
 * (`. scripts/pulumi-env.sh` puts Slipway's engine there).
 *
 * Round trips are kept few: one workspace for every stack of a command (one `pulumi
 * version`), no `pulumi stack select` (every call names its stack with `--stack`, and the
 * user's selected stack stays as it was), outputs and pending operations from one `pulumi
 * stack export`.
 */
export class LocalStackDriver implements StackDriver {
  readonly #root: string;
  readonly #stacks = new Map<string, Promise<Stack>>();
  #automation: Automation | undefined;
  #workspace: Promise<LocalWorkspace> | undefined;
  readonly #configs = new Map<string, { text: string; source: Promise<ConfigSource> }>();

  constructor(root: string) {
    this.#root = root;
  }

  /**
   * The config of a stack, read once per command while its file stays the same (a rollback
   * reads it twice before it switches hosts, and through the engine each read is a `pulumi`
   * call); a failed read is not kept.
   */
  config(stack: string): Promise<ConfigSource> {
    const text = fs.readFileSync(stackFilePath(this.#root, stack), "utf8");
    const kept = this.#configs.get(stack);
    if (kept !== undefined && kept.text === text) {
      return kept.source;
    }
    const source = this.#readConfig(stack, text);
    this.#configs.set(stack, { text, source });
    source.catch(() => {
      if (this.#configs.get(stack)?.source === source) {
        this.#configs.delete(stack);
      }
    });
    return source;
  }

  async #readConfig(stack: string, text: string): Promise<ConfigSource> {
    if (!needsEngine(text)) {
      // Nothing to decrypt: the file is all the engine would read.
      return configFromFile(this.#root, text);
    }
    const all = await this.#call(stack, "read the config of", async (s) => {
      try {
        return await s.getAllConfig();
      } catch (error) {
        throw await this.#foreignSecrets(s, stack, text, error);
      }
    });
    const values: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    for (const [fullKey, entry] of Object.entries(all)) {
      if (!fullKey.startsWith("slipway:")) {
        continue;
      }
      const key = fullKey.slice("slipway:".length);
      values[key] = parseConfigValue(entry.value);
      if (entry.secret === true) {
        secretKeys.add(key);
      }
    }
    return { values, secretKeys, stackFile: text };
  }

  async outputs(stack: string): Promise<Record<string, unknown>> {
    return { ...(await this.state(stack)).outputs };
  }

  async state(stack: string): Promise<StackState> {
    return stateOfDeployment(await this.#call(stack, "read the state of", (s) => s.exportStack()));
  }

  async lastUpdate(stack: string): Promise<UpdateInfo | undefined> {
    // Without --show-secrets: the result and version need no decryption (a key derivation).
    return lastUpdateOf(
      await this.#call(stack, "read the history of", (s) => s.history(WHOLE_HISTORY, 1, false)),
    );
  }

  async up(stack: string, options: UpOptions): Promise<UpOutcome> {
    const started = Date.now();
    const call = engineCall(await this.#workspaceFor());
    if (call === undefined) {
      return this.#automationUp(stack, options, started);
    }
    await this.#call(stack, "update", () =>
      call(stack, upArgs(options.replace), {
        onOutput: options.onOutput,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }),
    );
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    // What Stack.up reads after the update in four CLI calls one after the other (two
    // `stack output`, a page of `stack history`, and the full history for a file backend's
    // version), read in two at once: the checkpoint's outputs and the history.
    const [outputs, history] = await Promise.all([
      this.#outputsAfterUpdate(stack),
      this.#call(stack, "read the history of", (s) => s.history(WHOLE_HISTORY, 1, false)),
    ]);
    const update = lastUpdateOf(history);
    const reported = history.find((entry) => entry.kind === "update")?.version;
    return {
      // The version the backend numbers (as Stack.up reports it); a file backend's is the
      // update's place in the history, which `update` has.
      ...(typeof reported === "number" && reported > 0 ? { version: reported } : {}),
      ...(update === undefined ? {} : { update }),
      seconds,
      outputs,
      changed: update?.changed ?? false,
    };
  }

  /** The outputs in the checkpoint; decrypted (`--show-secrets`) only when one is secret. */
  async #outputsAfterUpdate(stack: string): Promise<Record<string, unknown>> {
    const call = engineCall(await this.#workspaceFor());
    const plain =
      call === undefined
        ? undefined
        : await this.#call(stack, "read the state of", (s) =>
            call(s.name, ["stack", "export"]).then((result) => result.stdout),
          );
    if (plain !== undefined) {
      const { outputs } = stateOfDeployment(JSON.parse(plain));
      if (!JSON.stringify(outputs).includes(SECRET_SIG)) {
        return { ...outputs };
      }
    }
    return this.outputs(stack);
  }

  async #automationUp(stack: string, options: UpOptions, started: number): Promise<UpOutcome> {
    const result = await this.#call(stack, "update", (s) =>
      s.up({
        onOutput: options.onOutput,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.replace === undefined ? {} : { replace: [...options.replace] }),
      }),
    );
    const changes = result.summary.resourceChanges ?? {};
    return {
      ...(typeof result.summary.version === "number" && result.summary.version > 0
        ? { version: result.summary.version }
        : {}),
      seconds: Math.round((Date.now() - started) / 100) / 10,
      outputs: plainOutputs(result.outputs),
      changed: Object.entries(changes).some(([op, count]) => op !== "same" && (count ?? 0) > 0),
    };
  }

  async selectedStack(): Promise<string | undefined> {
    try {
      return (await (await this.#workspaceFor()).stack())?.name;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new DriverError(
        "unavailable",
        `pulumi could not list the stacks: ${lastLines(message, 4)}`,
      );
    }
  }

  prepare(): void {
    this.#workspaceFor().catch(() => {
      // Reported by the first call that needs the workspace.
    });
  }

  #workspaceFor(): Promise<LocalWorkspace> {
    this.#workspace ??= this.#automationApi().then((api) =>
      api.LocalWorkspace.create({ workDir: this.#root }).then((workspace) => {
        // Every call passes --stack: selecting would cost a CLI call and change the stack
        // the user selected. A missing stack fails the first call instead.
        workspace.selectStack = () => Promise.resolve();
        return workspace;
      }),
    );
    return this.#workspace;
  }

  async #automationApi(): Promise<Automation> {
    this.#automation ??= await import("@pulumi/pulumi/automation");
    return this.#automation;
  }

  #select(stack: string): Promise<Stack> {
    let selected = this.#stacks.get(stack);
    if (selected === undefined) {
      selected = this.#automationApi().then(async (api) =>
        api.Stack.select(stack, await this.#workspaceFor()),
      );
      this.#stacks.set(stack, selected);
    }
    return selected;
  }

  /**
   * A config read that failed on a secure value the stack's provider cannot decrypt (the
   * engine names no key): each secure value is read alone, and those that fail are refused
   * by path, with how to set them again. Any other failure stays as it was.
   */
  async #foreignSecrets(
    selected: Stack,
    stack: string,
    text: string,
    error: unknown,
  ): Promise<unknown> {
    if (
      !/message authentication failed/.test(error instanceof Error ? error.message : String(error))
    ) {
      return error;
    }
    const failing: string[] = [];
    for (const where of securePaths(this.#root, text)) {
      await selected.getConfig(where, true).catch(() => failing.push(where));
    }
    return failing.length === 0
      ? error
      : new ConfigError(foreignSecretIssues(stack, failing), stack);
  }

  async #call<T>(stack: string, what: string, action: (selected: Stack) => Promise<T>): Promise<T> {
    const api = await this.#automationApi();
    try {
      return await action(await this.#select(stack));
    } catch (error) {
      if (error instanceof ConfigError) {
        throw error;
      }
      this.#stacks.delete(stack);
      if (error instanceof api.StackNotFoundError) {
        throw new DriverError(
          "not-found",
          `stack ${stack} does not exist on the current Pulumi backend`,
        );
      }
      const message = error instanceof Error ? error.message : String(error);
      const failure = engineFailure(message);
      if (error instanceof api.ConcurrentUpdateError || failure.kind === "locked") {
        throw new DriverError(
          "locked",
          `${stack} is locked by another update, or by one that was interrupted: ${failure.cause.join("; ") || lastLines(message, 2)}`,
          message,
        );
      }
      if (failure.kind === "pending") {
        throw new DriverError(
          "pending",
          `an interrupted update of ${stack} left operations pending: ${failure.cause.join("; ")}`,
          message,
        );
      }
      if (error instanceof api.CommandError) {
        const kind = what === "update" ? "failed" : "unavailable";
        throw new DriverError(
          kind,
          `pulumi could not ${what} ${stack}: ${failure.cause.join("\n") || lastLines(message, 6)}`,
          message,
        );
      }
      throw new DriverError(
        "unavailable",
        `pulumi could not ${what} ${stack}: ${lastLines(message, 6)}`,
        message,
      );
    }
  }
}
