/**
 * The one SSH path of the CLI: the system `ssh`'s argument list for a host, the key and
 * known_hosts files it reads (mode 0600, in a private directory removed afterwards), and
 * what its failure says. Node's built-ins only: the early sessions (./early-sessions) load
 * this before the rest of the CLI.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { HostConfig, ProxyConfig } from "../config";
import { expandHome } from "../config/paths";
import { shellQuote } from "./quote";

/** What SSH needs of a host (a validated `HostConfig`, or an early session's reading). */
export type SshTarget = Pick<
  HostConfig,
  "address" | "port" | "user" | "privateKey" | "privateKeyFile" | "hostKey"
> & { readonly proxy?: ProxyConfig | undefined };

/** Files the SSH command reads; written by the reader, mode 0600, removed after. */
export interface SshFiles {
  readonly identity: string;
  /** A known_hosts file holding the configured host key; none: accept a new host once. */
  readonly knownHosts?: string;
  readonly proxyIdentity?: string;
  readonly proxyKnownHosts?: string;
}

/** A `known_hosts` line for a host key: `[address]:port key` (plain address on port 22). */
export function knownHostsLine(address: string, port: number, hostKey: string): string {
  return `${port === 22 ? address : `[${address}]:${port}`} ${hostKey.trim()}\n`;
}

function hostKeyOptions(knownHosts: string | undefined): string[] {
  return knownHosts === undefined
    ? ["-o", "StrictHostKeyChecking=accept-new"]
    : ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`];
}

/** The argument list of the system `ssh` that runs `script` on a host. */
export function sshArgs(host: SshTarget, files: SshFiles, script: string): string[] {
  const common = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "IdentitiesOnly=yes"];
  const proxy =
    host.proxy === undefined
      ? []
      : [
          "-o",
          `ProxyCommand=${[
            "ssh",
            "-i",
            files.proxyIdentity ?? "",
            "-p",
            String(host.proxy.port),
            ...common,
            ...hostKeyOptions(files.proxyKnownHosts),
            "-W",
            "%h:%p",
            `${host.proxy.user}@${host.proxy.address}`,
          ]
            .map((word) => (word === "%h:%p" ? word : shellQuote(word)))
            .join(" ")}`,
        ];
  return [
    "-i",
    files.identity,
    "-p",
    String(host.port),
    ...common,
    ...hostKeyOptions(files.knownHosts),
    ...proxy,
    "--",
    `${host.user}@${host.address}`,
    script,
  ];
}

/** The files `ssh` reads for a host, written into a private directory; `remove` deletes it. */
export function writeSshFiles(host: SshTarget): { files: SshFiles; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-ssh-"));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const write = (name: string, text: string) => {
      const target = path.join(dir, name);
      fs.writeFileSync(target, text.endsWith("\n") ? text : `${text}\n`, { mode: 0o600 });
      return target;
    };
    const files: SshFiles = {
      identity:
        host.privateKey !== undefined
          ? write("identity", host.privateKey.reveal())
          : expandHome(host.privateKeyFile ?? ""),
      ...(host.hostKey === undefined
        ? {}
        : {
            knownHosts: write("known_hosts", knownHostsLine(host.address, host.port, host.hostKey)),
          }),
      ...(host.proxy === undefined
        ? {}
        : {
            proxyIdentity:
              host.proxy.privateKey !== undefined
                ? write("proxy_identity", host.proxy.privateKey.reveal())
                : expandHome(host.proxy.privateKeyFile ?? ""),
            ...(host.proxy.hostKey === undefined
              ? {}
              : {
                  proxyKnownHosts: write(
                    "proxy_known_hosts",
                    knownHostsLine(host.proxy.address, host.proxy.port, host.proxy.hostKey),
                  ),
                }),
          }),
    };
    return { files, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * Runs `work` with the files the system `ssh` reads for `host` (keys from config, known
 * hosts), written mode 0600 into a private directory that is removed afterwards.
 */
export async function withSshFiles<T>(
  host: SshTarget,
  work: (files: SshFiles) => Promise<T>,
): Promise<T> {
  const { files, remove } = writeSshFiles(host);
  try {
    return await work(files);
  } finally {
    remove();
  }
}

/** `ssh <user>@<address>:<port> exited <status>: <reason>`: why a host could not be reached. */
export function sshFailure(
  host: Pick<SshTarget, "user" | "address" | "port">,
  status: number,
  stderr: string,
): string {
  const reason = lastLine(stderr);
  return `ssh ${host.user}@${host.address}:${host.port} exited ${status}${reason === "" ? "" : `: ${reason}`}`;
}

/** The last non-blank line of a tool's output, for one-line messages. */
export function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

/** What a process printed and how it ended (255: it could not start). */
export interface ProcessResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file` with `args`, stdin closed, and collects what it prints. */
export function runProcess(file: string, args: readonly string[]): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(file, [...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", (error) => resolve({ status: 255, stdout, stderr: error.message }));
    child.on("close", (code) => resolve({ status: code ?? 255, stdout, stderr }));
  });
}
