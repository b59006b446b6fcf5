import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { HostConfig, ProxyConfig } from "../config";
import { expandHome } from "../config/paths";
import { DEFAULT_STATE_ROOT } from "../deploy/definition";
import { shellQuote } from "./quote";

/** Where the deploy script keeps each service's state on a host (DEFAULT_STATE_ROOT). */
export const RELEASE_ROOT = DEFAULT_STATE_ROOT;

/** Files the SSH command reads; written by the reader, mode 0600, removed after. */
interface SshFiles {
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
export function sshArgs(
  host: Pick<HostConfig, "address" | "port" | "user"> & { readonly proxy?: ProxyConfig },
  files: SshFiles,
  script: string,
): string[] {
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

/** The outcome of running a read-only script on a host. */
export type HostRun =
  | { readonly kind: "ran"; readonly stdout: string }
  | { readonly kind: "unreachable"; readonly message: string };

/** Runs read-only scripts on hosts; the real one uses `ssh` (or `/bin/sh` for `local` hosts). */
export interface HostReader {
  run(host: HostConfig, script: string): Promise<HostRun>;
}

/**
 * Runs `work` with the files the system `ssh` reads for `host` (keys from config, known
 * hosts), written mode 0600 into a private directory that is removed afterwards.
 */
export async function withSshFiles<T>(
  host: HostConfig,
  work: (files: SshFiles) => Promise<T>,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-ssh-"));
  try {
    const write = (name: string, text: string) => {
      const target = path.join(dir, name);
      fs.writeFileSync(target, text.endsWith("\n") ? text : `${text}\n`, { mode: 0o600 });
      return target;
    };
    return await work({
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
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `ssh <user>@<address>:<port> exited <status>: <reason>`: why a host could not be reached. */
export function sshFailure(host: HostConfig, status: number, stderr: string): string {
  const reason = lastLine(stderr);
  return `ssh ${host.user}@${host.address}:${host.port} exited ${status}${reason === "" ? "" : `: ${reason}`}`;
}

/** Runs scripts with the system `ssh`, or `/bin/sh -c` for `local` hosts. */
export class SystemHostReader implements HostReader {
  async run(host: HostConfig, script: string): Promise<HostRun> {
    if (host.transport === "local") {
      const result = await runProcess("/bin/sh", ["-c", script]);
      return result.status === 0
        ? { kind: "ran", stdout: result.stdout }
        : {
            kind: "unreachable",
            message: `sh exited ${result.status}: ${lastLine(result.stderr)}`,
          };
    }
    return withSshFiles(host, async (files) => {
      const result = await runProcess("ssh", sshArgs(host, files, script));
      return result.status === 0
        ? { kind: "ran", stdout: result.stdout }
        : { kind: "unreachable", message: sshFailure(host, result.status, result.stderr) };
    });
  }
}

/** The last non-blank line of a tool's output, for one-line messages. */
function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

function runProcess(
  file: string,
  args: readonly string[],
): Promise<{ status: number; stdout: string; stderr: string }> {
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
