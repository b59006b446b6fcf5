/**
 * SSH sessions opened when `slipway rollback` starts, before the rest of the CLI loads.
 *
 * The instant rollback's switch (./warm-rollback) is one short script per host, but reaching
 * a host costs more than running it: the TCP and SSH handshakes, the key exchange and the
 * login shell's start-up (its rc files) took most of a second on a busy machine, and loading
 * the CLI's modules and reading the stack another. bin/slipway.js calls `openEarlySessions`
 * first: for each SSH host the stack file names it starts `ssh` with a remote command that
 * waits for its script on stdin, so both happen at once. The first script the CLI then runs
 * on that host (SystemHostReader) goes down that session instead of a new connection.
 *
 * The stack file is read here only as a hint, without validation: a session is used only
 * when what it connected with (address, port, user, key file, host keys, bastion) equals
 * what the validated config says for the host (`connectionKey`); anything else (a secret
 * key, an ESC environment, a Kubernetes target, a value the hint read differently) opens
 * nothing or is not used, and the host is reached the usual way. Sessions not used are
 * closed when the switch is done (`closeEarlySessions`), and when the CLI exits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { parse } from "yaml";
import { stackFilePath } from "../config/project";
import { commandWord, optionValue, projectRoot } from "./argv";
import { sshArgs, writeSshFiles, type ProcessResult, type SshTarget } from "./ssh";

/**
 * The session's remote command: read the script from stdin up to the line `end` (a comment:
 * `#slipway-end-<random>`), then run it with `/bin/sh` (by `eval`, so the script's text never
 * becomes a process argument the host's `ps` would show). It does not wait for stdin's end: the
 * CLI writes the script at once, but Node closes the pipe only when its event loop next runs,
 * and the rollback then loads the Automation API synchronously (a second or more). A session
 * closed unused gets an empty script and exits 0 at once.
 */
export function remoteReader(end: string): string {
  return `exec /bin/sh -c 'eval "$(sed "/^${end}\\$/q")"'`;
}

/** The commands that open sessions: a rollback that switches hosts (not --no-up, --unpin). */
export function opensSessions(argv: readonly string[]): boolean {
  return (
    commandWord(argv) === "rollback" &&
    !argv.some((arg) => ["--no-up", "--unpin", "--help", "-h"].includes(arg))
  );
}

/** What identifies a connection: the same key, the same host reached the same way. */
export function connectionKey(host: SshTarget): string {
  const proxy = host.proxy;
  return JSON.stringify([
    host.user,
    host.address,
    host.port,
    host.privateKey === undefined ? (host.privateKeyFile ?? null) : "secret",
    host.hostKey?.trim() ?? null,
    proxy === undefined
      ? null
      : [
          proxy.user,
          proxy.address,
          proxy.port,
          proxy.privateKey === undefined ? (proxy.privateKeyFile ?? null) : "secret",
          proxy.hostKey?.trim() ?? null,
        ],
  ]);
}

type Raw = Record<string, unknown>;

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;
const port = (value: unknown): number | undefined =>
  value === undefined ? 22 : Number.isInteger(value) ? (value as number) : undefined;

/** A bastion or host as the stack file writes it, when it needs no secret; else undefined. */
function endpoint(raw: Raw): Omit<SshTarget, "proxy"> | undefined {
  const address = text(raw.address);
  const portNumber = port(raw.port);
  const user = raw.user === undefined ? "root" : text(raw.user);
  const privateKeyFile = text(raw.privateKeyFile);
  const hostKey = raw.hostKey === undefined ? undefined : text(raw.hostKey);
  if (
    address === undefined ||
    portNumber === undefined ||
    user === undefined ||
    privateKeyFile === undefined ||
    raw.privateKey !== undefined ||
    (raw.hostKey !== undefined && hostKey === undefined)
  ) {
    return undefined;
  }
  return {
    address,
    port: portNumber,
    user,
    privateKeyFile,
    ...(hostKey === undefined ? {} : { hostKey }),
  };
}

/**
 * The SSH hosts a stack file names, read as a hint (see above): none for a file with an ESC
 * environment or a Kubernetes target; a host with a secret key, `transport: local` or a
 * value this reading does not understand is left out.
 */
export function hostHints(stackFile: string): SshTarget[] {
  const parsed = (parse(stackFile) ?? {}) as { environment?: unknown; config?: Raw };
  const config = parsed.config ?? {};
  if (parsed.environment !== undefined || config["slipway:target"] === "kubernetes") {
    return [];
  }
  const hosts = config["slipway:hosts"];
  if (!Array.isArray(hosts)) {
    return [];
  }
  return hosts.flatMap((raw: unknown) => {
    if (typeof raw !== "object" || raw === null || (raw as Raw).transport === "local") {
      return [];
    }
    const host = endpoint(raw as Raw);
    const proxyRaw = (raw as Raw).proxy;
    if (proxyRaw === undefined) {
      return host === undefined ? [] : [host];
    }
    const proxy =
      typeof proxyRaw === "object" && proxyRaw !== null ? endpoint(proxyRaw as Raw) : undefined;
    return host === undefined || proxy === undefined ? [] : [{ ...host, proxy }];
  });
}

/** One `ssh` started ahead, waiting for its script. */
class EarlySession {
  readonly key: string;
  taken = false;
  readonly #child: ChildProcess;
  readonly #result: Promise<ProcessResult>;
  readonly #remove: () => void;
  /** The line that ends the script on stdin. */
  readonly #end = `#slipway-end-${randomBytes(8).toString("hex")}`;

  constructor(target: SshTarget) {
    this.key = connectionKey(target);
    const { files, remove } = writeSshFiles(target);
    this.#remove = remove;
    const child = spawn("ssh", sshArgs(target, files, remoteReader(this.#end)), {
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.#child = child;
    // A session whose ssh ended early (unreachable) says so when it is used.
    child.stdin.on("error", () => undefined);
    this.#result = new Promise((resolve) => {
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      child.on("error", (error) => {
        remove();
        resolve({ status: 255, stdout, stderr: error.message });
      });
      child.on("close", (code) => {
        remove();
        resolve({ status: code ?? 255, stdout, stderr });
      });
    });
  }

  /** Sends `script` and waits for the host to run it. */
  run(script: string): Promise<ProcessResult> {
    this.taken = true;
    this.#child.stdin!.end(`${script.replace(/\n?$/, "\n")}${this.#end}\n`);
    return this.#result;
  }

  /** Ends an unused session: the host runs an empty script; the CLI does not wait for it. */
  close(): void {
    if (this.taken) {
      return;
    }
    this.taken = true;
    this.#child.stdin!.end();
    this.#child.unref();
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      (stream as { unref?: () => void } | null)?.unref?.();
    }
  }

  /** At exit: an unused session's ssh is ended and its files removed. */
  abandon(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill();
    }
    this.#remove();
  }
}

const sessions: EarlySession[] = [];

/**
 * Opens a session to each SSH host of the stack when `argv` is a rollback that switches
 * hosts and names its stack; does nothing otherwise, and never fails (the hosts are then
 * reached the usual way).
 */
export function openEarlySessions(argv: readonly string[], cwd: string): void {
  const stack = optionValue(argv, "--stack");
  if (!opensSessions(argv) || stack === undefined) {
    return;
  }
  try {
    const file = fs.readFileSync(stackFilePath(projectRoot(argv, cwd), stack), "utf8");
    for (const host of hostHints(file)) {
      sessions.push(new EarlySession(host));
    }
  } catch {
    return;
  }
  if (sessions.length > 0) {
    process.once("exit", () => sessions.forEach((session) => session.abandon()));
  }
}

/** The session opened for `host`, if one was and it connected the way the config says. */
export function takeEarlySession(
  host: SshTarget,
): { run(script: string): Promise<ProcessResult> } | undefined {
  const key = connectionKey(host);
  const session = sessions.find((candidate) => !candidate.taken && candidate.key === key);
  if (session !== undefined) {
    session.taken = true;
  }
  return session;
}

/** Closes the sessions nothing used. */
export function closeEarlySessions(): void {
  sessions.forEach((session) => session.close());
}
