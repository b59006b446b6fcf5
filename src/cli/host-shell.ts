import { spawn } from "node:child_process";
import type { HostConfig } from "../config";
import { BOOTSTRAP_COMMAND, bootstrapStdin } from "../deploy/bootstrap";
import { EXIT_MARK, FAIL_MARK } from "../deploy/operations";
import { sshArgs, sshFailure, withSshFiles } from "./host-release";

/** The stderr line the shell puts first: ssh's own errors come before it, the script's after. */
export const CONNECTED_MARK = "slipway-connected";

/** How a day-two script runs on a host. */
export interface StreamOptions {
  /** What the script reads on stdin after its text (the secret payload). */
  readonly input?: string;
  /** A terminal: this process's stdin, stdout and stderr, and `ssh -tt` (consoles). */
  readonly tty?: boolean;
  /** Each line of the script's stdout, as it comes (without the line break). */
  readonly onStdout?: (line: string) => void;
  /** Each line of the script's stderr that is not a marker line. */
  readonly onStderr?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** How a script on a host ended. */
export type StreamEnd =
  /** It ran to its end; `exit`: the status of the command it ran (exec), when it said. */
  | { readonly kind: "ran"; readonly status: number; readonly exit?: number }
  /** Its `fail` refused, with this message. */
  | { readonly kind: "failed"; readonly message: string }
  /** The host could not be reached: ssh's own one-line reason. */
  | { readonly kind: "unreachable"; readonly message: string };

/** Runs day-two scripts on hosts, streaming their output; tests pass fakes. */
export interface HostShell {
  stream(host: HostConfig, script: string, options: StreamOptions): Promise<StreamEnd>;
}

/** Splits a stream into lines, calling `line` for each complete one and the rest at the end. */
export class LineSplitter {
  #rest = "";

  constructor(private readonly line: (text: string) => void) {}

  push(chunk: string): void {
    const parts = (this.#rest + chunk).split("\n");
    this.#rest = parts.pop() ?? "";
    for (const part of parts) {
      this.line(part.replace(/\r$/, ""));
    }
  }

  end(): void {
    if (this.#rest !== "") {
      this.line(this.#rest.replace(/\r$/, ""));
      this.#rest = "";
    }
  }
}

/**
 * Reads a script's stderr: lines before CONNECTED_MARK are the transport's (ssh: kept for the
 * one-line reason), marker lines are the script's protocol, the rest goes to `onStderr`.
 */
export class StderrReader {
  connected = false;
  failed?: string;
  exit?: number;
  readonly before: string[] = [];

  constructor(private readonly onStderr: ((line: string) => void) | undefined) {}

  line(text: string): void {
    if (!this.connected) {
      if (text === CONNECTED_MARK) {
        this.connected = true;
      } else {
        this.before.push(text);
      }
      return;
    }
    if (text.startsWith(`${FAIL_MARK} `)) {
      this.failed = text.slice(FAIL_MARK.length + 1);
    } else if (text.startsWith(`${EXIT_MARK} `) && /^\d+$/.test(text.slice(EXIT_MARK.length + 1))) {
      this.exit = Number(text.slice(EXIT_MARK.length + 1));
    } else {
      this.onStderr?.(text);
    }
  }

  /** How the script ended, from its exit status and what it said. */
  end(status: number, transport: (before: string) => string): StreamEnd {
    if (this.failed !== undefined) {
      return { kind: "failed", message: this.failed };
    }
    if (!this.connected) {
      return { kind: "unreachable", message: transport(this.before.join("\n")) };
    }
    return { kind: "ran", status, ...(this.exit === undefined ? {} : { exit: this.exit }) };
  }
}

/** The script as the shell sends it: the connected marker first. */
export function withConnectedMark(script: string): string {
  const body = script.startsWith("#!") ? script.slice(script.indexOf("\n") + 1) : script;
  return `#!/bin/sh\nprintf '%s\\n' ${CONNECTED_MARK} >&2\n${body}`;
}

/**
 * The system `ssh` (the same arguments and key files as `status`), or `/bin/sh` for `local`
 * hosts. Without a TTY the script goes on stdin behind the bootstrap (as the deploy's does),
 * followed by `input`; with one it is the remote command (it holds no secret).
 */
export class SystemHostShell implements HostShell {
  async stream(host: HostConfig, script: string, options: StreamOptions): Promise<StreamEnd> {
    if (options.tty === true) {
      const status = await (host.transport === "local"
        ? spawnInherit("/bin/sh", ["-c", script], options.signal)
        : withSshFiles(host, (files) =>
            spawnInherit("ssh", ["-tt", ...sshArgs(host, files, script)], options.signal),
          ));
      return status === 255 && host.transport !== "local"
        ? { kind: "unreachable", message: sshFailure(host, status, "") }
        : { kind: "ran", status };
    }
    const stdin = bootstrapStdin(withConnectedMark(script), options.input ?? "");
    const run = (file: string, args: readonly string[]) =>
      spawnStreaming(file, args, stdin, options);
    if (host.transport === "local") {
      return run("/bin/sh", ["-c", BOOTSTRAP_COMMAND]).then(({ status, reader }) =>
        reader.end(status, (before) => `sh exited ${status}: ${before.split("\n").pop() ?? ""}`),
      );
    }
    return withSshFiles(host, async (files) => {
      const { status, reader } = await run("ssh", sshArgs(host, files, BOOTSTRAP_COMMAND));
      return reader.end(status, (before) => sshFailure(host, status, before));
    });
  }
}

function spawnStreaming(
  file: string,
  args: readonly string[],
  stdin: string,
  options: StreamOptions,
): Promise<{ status: number; reader: StderrReader }> {
  return new Promise((resolve) => {
    const reader = new StderrReader(options.onStderr);
    const out = new LineSplitter((line) => options.onStdout?.(line));
    const err = new LineSplitter((line) => reader.line(line));
    const child = spawn(file, [...args], {
      stdio: ["pipe", "pipe", "pipe"],
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk.toString("utf8")));
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
    let done = false;
    const finish = (status: number) => {
      if (done) return;
      done = true;
      out.end();
      err.end();
      resolve({ status, reader });
    };
    child.on("error", (error) => {
      reader.before.push(error.message);
      finish(255);
    });
    child.on("close", (code, signal) => finish(code ?? (signal === null ? 255 : 130)));
  });
}

function spawnInherit(
  file: string,
  args: readonly string[],
  signal?: AbortSignal,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(file, [...args], {
      stdio: "inherit",
      ...(signal === undefined ? {} : { signal }),
    });
    child.on("error", () => resolve(255));
    child.on("close", (code) => resolve(code ?? 130));
  });
}
