import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import type { HostConfig, ProxyConfig } from "../config";
import { shellQuote } from "./quote";

/** Where the deploy script keeps each service's release record on a host. */
export const RELEASE_ROOT = "/var/lib/slipway";

/** `<root>/<service>/release.json`. */
export function releaseFile(root: string, service: string): string {
  return path.posix.join(root, service, "release.json");
}

const deployedSchema = z.object({
  image: z.string(),
  ref: z.string(),
  digest: z.string(),
  revision: z.string().optional(),
  deployedAt: z.string().optional(),
});

const releaseRecordSchema = z.object({
  service: z.string(),
  current: deployedSchema,
  previous: z.array(deployedSchema).default([]),
});

/** What a host says it runs: the release record the deploy script writes. */
export type ReleaseRecord = z.output<typeof releaseRecordSchema>;
export type DeployedRelease = z.output<typeof deployedSchema>;

/** Parses a release record; the reason it is unusable otherwise. */
export function parseReleaseRecord(text: string): ReleaseRecord | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return "release.json is not JSON";
  }
  const result = releaseRecordSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return `release.json: ${issue.path.join(".") || "(top)"}: ${issue.message}`;
  }
  return result.data;
}

/** The exit status of the read script when the file does not exist. */
export const NO_RELEASE_STATUS = 44;

/** The script that prints a release record, or exits 44 when the host has none. */
export function readReleaseScript(file: string): string {
  const quoted = shellQuote(file);
  return `test -f ${quoted} || exit ${NO_RELEASE_STATUS}; cat ${quoted}`;
}

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

/** The outcome of reading a host's release record. */
export type HostRead =
  | { readonly kind: "found"; readonly text: string }
  | { readonly kind: "missing" }
  | { readonly kind: "unreachable"; readonly message: string };

/** Reads a file on a host; the real one uses `ssh` (or the file system for `local` hosts). */
export interface HostReader {
  read(host: HostConfig, file: string): Promise<HostRead>;
}

function expandHome(file: string): string {
  return file === "~" || file.startsWith("~/") ? path.join(os.homedir(), file.slice(1)) : file;
}

/** Reads release records with the system `ssh`, or directly for `local` hosts. */
export class SystemHostReader implements HostReader {
  async read(host: HostConfig, file: string): Promise<HostRead> {
    if (host.transport === "local") {
      try {
        return { kind: "found", text: await fs.promises.readFile(file, "utf8") };
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === "ENOENT"
          ? { kind: "missing" }
          : { kind: "unreachable", message: (error as Error).message };
      }
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-ssh-"));
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
              knownHosts: write(
                "known_hosts",
                knownHostsLine(host.address, host.port, host.hostKey),
              ),
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
      const result = await runSsh(sshArgs(host, files, readReleaseScript(file)));
      if (result.status === 0) {
        return { kind: "found", text: result.stdout };
      }
      if (result.status === NO_RELEASE_STATUS) {
        return { kind: "missing" };
      }
      const reason = result.stderr.trim().split("\n").pop() ?? "";
      return {
        kind: "unreachable",
        message: `ssh ${host.user}@${host.address}:${host.port} exited ${result.status}${reason === "" ? "" : `: ${reason}`}`,
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

function runSsh(
  args: readonly string[],
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("ssh", [...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", (error) => resolve({ status: 255, stdout, stderr: error.message }));
    child.on("close", (code) => resolve({ status: code ?? 255, stdout, stderr }));
  });
}
