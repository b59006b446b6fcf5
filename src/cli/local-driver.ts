import * as fs from "node:fs";
import type { Stack } from "@pulumi/pulumi/automation";
import type { ConfigSource } from "../config";
import {
  DriverError,
  type StackDriver,
  type UpdateInfo,
  type UpOptions,
  type UpOutcome,
} from "./driver";
import { configFromFile, needsEngine, parseConfigValue, stackFilePath } from "./stack-config";

type Automation = typeof import("@pulumi/pulumi/automation");

function plainOutputs(outputs: Record<string, { value: unknown }>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value]));
}

function lastLines(text: string, count: number): string {
  return text.trim().split("\n").slice(-count).join("\n");
}

/**
 * The real driver: Pulumi's Automation API (`LocalWorkspace`) on the project directory,
 * with the user's backend, credentials and secrets provider. Needs the `pulumi` CLI on PATH
 * (`. scripts/pulumi-env.sh` puts Slipway's engine there).
 */
export class LocalStackDriver implements StackDriver {
  readonly #root: string;
  readonly #stacks = new Map<string, Promise<Stack>>();
  #automation: Automation | undefined;

  constructor(root: string) {
    this.#root = root;
  }

  async config(stack: string): Promise<ConfigSource> {
    const file = stackFilePath(this.#root, stack);
    const text = fs.readFileSync(file, "utf8");
    if (!needsEngine(text)) {
      // Nothing to decrypt: the file is all the engine would read.
      return configFromFile(this.#root, text);
    }
    const all = await this.#call(stack, "read the config of", (s) => s.getAllConfig());
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
    return plainOutputs(await this.#call(stack, "read the outputs of", (s) => s.outputs()));
  }

  async lastUpdate(stack: string): Promise<UpdateInfo | undefined> {
    const history = await this.#call(stack, "read the history of", (s) => s.history(20));
    const update = history.find((entry) => entry.kind === "update");
    if (update === undefined) {
      return undefined;
    }
    const iso = (value: unknown) =>
      value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : undefined;
    const startTime = iso(update.startTime);
    const endTime = iso(update.endTime);
    return {
      result: update.result,
      // DIY (file, S3) backends do not number updates: they report version 0.
      ...(typeof update.version === "number" && update.version > 0
        ? { version: update.version }
        : {}),
      ...(startTime === undefined ? {} : { startTime }),
      ...(endTime === undefined ? {} : { endTime }),
    };
  }

  async up(stack: string, options: UpOptions): Promise<UpOutcome> {
    const started = Date.now();
    const result = await this.#call(stack, "update", (s) =>
      s.up({
        onOutput: options.onOutput,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.replace === undefined ? {} : { replace: [...options.replace] }),
      }),
    );
    return {
      ...(typeof result.summary.version === "number" && result.summary.version > 0
        ? { version: result.summary.version }
        : {}),
      seconds: Math.round((Date.now() - started) / 100) / 10,
      outputs: plainOutputs(result.outputs),
    };
  }

  async #automationApi(): Promise<Automation> {
    this.#automation ??= await import("@pulumi/pulumi/automation");
    return this.#automation;
  }

  #select(stack: string): Promise<Stack> {
    let selected = this.#stacks.get(stack);
    if (selected === undefined) {
      selected = this.#automationApi().then((api) =>
        api.LocalWorkspace.selectStack({ stackName: stack, workDir: this.#root }),
      );
      this.#stacks.set(stack, selected);
    }
    return selected;
  }

  async #call<T>(stack: string, what: string, action: (selected: Stack) => Promise<T>): Promise<T> {
    const api = await this.#automationApi();
    try {
      return await action(await this.#select(stack));
    } catch (error) {
      this.#stacks.delete(stack);
      if (error instanceof api.StackNotFoundError) {
        throw new DriverError(
          "not-found",
          `stack ${stack} does not exist on the current Pulumi backend`,
        );
      }
      if (error instanceof api.ConcurrentUpdateError) {
        throw new DriverError(
          "locked",
          `another update of ${stack} is running (the stack is locked): ${lastLines(error.message, 2)}`,
        );
      }
      if (error instanceof api.CommandError) {
        const kind = what === "update" ? "failed" : "unavailable";
        throw new DriverError(
          kind,
          `pulumi could not ${what} ${stack}:\n${lastLines(error.message, 12)}`,
        );
      }
      const message = error instanceof Error ? error.message : String(error);
      throw new DriverError(
        "unavailable",
        `pulumi could not ${what} ${stack}: ${lastLines(message, 6)}`,
      );
    }
  }
}
