import { RegistryClient, type RegistryClientOptions } from "../registry";
import type { StackDriver } from "./driver";
import type { HostReader } from "./host-release";
import type { HostShell } from "./host-shell";

/** Everything a command uses from the outside world; tests pass fakes for some of it. */
export interface CliDeps {
  /** The project root: where `Pulumi.yaml` and the stack files are. */
  readonly root: string;
  readonly driver: StackDriver;
  readonly registry: (options: RegistryClientOptions) => RegistryClient;
  /**
   * GitHub's REST API, for deleting GHCR images (package versions); the token is the
   * environment's `GITHUB_TOKEN`, else the registry password.
   */
  readonly githubApi?: { readonly url: string; readonly token?: string };
  readonly hosts: HostReader;
  /** Runs the day-two scripts (logs, exec, …) on hosts, streaming; default: the system ssh. */
  readonly shell?: HostShell;
  /** Where hosts keep release records (`/var/lib/slipway`). */
  readonly releaseRoot: string;
  readonly now: () => Date;
  /** Who runs the command, recorded in the ledger. */
  readonly user: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Asks a person a question and returns the answer; absent when no one is at a terminal. */
  readonly ask?: (question: string) => Promise<string>;
  /** Aborted on Ctrl-C; an update in progress is cancelled. */
  readonly signal?: AbortSignal;
}

/** One run of a command: its dependencies, output mode and the command line that started it. */
export class Run {
  constructor(
    readonly deps: CliDeps,
    /** `--json`: stdout holds one JSON document and nothing else. */
    readonly json: boolean,
    /** The command line, e.g. `slipway promote --from dev --to prod`. */
    readonly by: string,
  ) {}

  /** A progress line on stderr (stdout stays free for the result). */
  progress(line: string): void {
    this.deps.stderr(`${line}\n`);
  }

  /** The result: the text for people, or the JSON document for scripts. */
  result(text: string, json: unknown): void {
    this.deps.stdout(
      this.json
        ? `${JSON.stringify(json, null, 2)}\n`
        : text.endsWith("\n") || text === ""
          ? text
          : `${text}\n`,
    );
  }

  /** The time now, ISO 8601 UTC to the second. */
  nowIso(): string {
    return this.deps
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z");
  }
}

export function defaultRegistry(options: RegistryClientOptions): RegistryClient {
  return new RegistryClient(options);
}

let updates = 0;

/** Whether an update is running in this process (Ctrl-C then cancels it instead of exiting). */
export function updating(): boolean {
  return updates > 0;
}

/** Marks an update as running while `work` runs. */
export async function whileUpdating<T>(work: () => Promise<T>): Promise<T> {
  updates += 1;
  try {
    return await work();
  } finally {
    updates -= 1;
  }
}
