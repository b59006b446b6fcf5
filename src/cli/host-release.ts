import type { HostConfig } from "../config";
import { DEFAULT_STATE_ROOT } from "../deploy/definition";
import { takeEarlySession } from "./early-sessions";
import { lastLine, runProcess, sshArgs, sshFailure, withSshFiles } from "./ssh";

export { knownHostsLine, sshArgs, sshFailure, withSshFiles } from "./ssh";

/** Where the deploy script keeps each service's state on a host (DEFAULT_STATE_ROOT). */
export const RELEASE_ROOT = DEFAULT_STATE_ROOT;

/** The outcome of running a read-only script on a host. */
export type HostRun =
  | { readonly kind: "ran"; readonly stdout: string }
  | { readonly kind: "unreachable"; readonly message: string };

/** Runs read-only scripts on hosts; the real one uses `ssh` (or `/bin/sh` for `local` hosts). */
export interface HostReader {
  run(host: HostConfig, script: string): Promise<HostRun>;
}

/** Runs scripts with the system `ssh` (./ssh), or `/bin/sh -c` for `local` hosts. */
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
    // A session `slipway rollback` opened as it started (./early-sessions), else a new one.
    const early = takeEarlySession(host);
    const result =
      early === undefined
        ? await withSshFiles(host, (files) => runProcess("ssh", sshArgs(host, files, script)))
        : await early.run(script);
    return result.status === 0
      ? { kind: "ran", stdout: result.stdout }
      : { kind: "unreachable", message: sshFailure(host, result.status, result.stderr) };
  }
}
