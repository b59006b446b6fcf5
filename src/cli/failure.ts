/**
 * Why an update failed, read from the engine's output, and what to run next. The engine's
 * last lines are mostly "error: update failed"; the cause is the line a host's deploy script
 * printed (`slipway: host web-1: …`), the registry's or SSH's error, or the lock's holder.
 */

/** What kind of failure the output shows. */
export type FailureKind =
  /** The stack's lock is held: another update runs, or an interrupted one left its lock. */
  | "locked"
  /** An interrupted update left resource operations pending. */
  | "pending"
  /** A release did not become healthy; the host kept the previous release. */
  | "unhealthy"
  /** A host could not pull the image from the registry. */
  | "pull"
  /** Another deploy holds the host's own lock. */
  | "host-lock"
  /** A host could not be reached or refused the key. */
  | "host-unreachable"
  /** Another failure a host's deploy script reported. */
  | "host"
  /** An image build or push failed. */
  | "build"
  /** Anything else: the engine's error lines. */
  | "other";

interface EngineFailure {
  readonly kind: FailureKind;
  /** The lines that state the cause, as the engine printed them (trimmed). */
  readonly cause: readonly string[];
}

const HOST_LINE = /slipway: host [^:\s]+: .*/g;
const GENERIC =
  /^error: (update failed|preview failed|an error occurred)\b|^error: \d+ errors? occurred/;

function unique(lines: readonly string[]): string[] {
  return lines.filter((line, index) => lines.indexOf(line) === index);
}

/** The cause of a failed engine command, from its output (stdout and stderr together). */
export function engineFailure(output: string): EngineFailure {
  // Automation errors quote the output with escapes; make lines of it again.
  const text = output.replace(/\\n/g, "\n").replace(/\\"/g, '"');
  const lines = text.split("\n").map((line) => line.trim());
  const locked = lines.find((line) => /the stack is currently locked/.test(line));
  if (locked !== undefined) {
    const holder = lines.filter(
      (line) => /^\S+\.json: created by /.test(line) || /lock.*created by/.test(line),
    );
    return { kind: "locked", cause: unique([locked, ...holder]) };
  }
  // The engine names interrupted operations in an error only when it refuses to go on; a
  // warning about them on an update that failed for another reason is not the cause.
  const pending = lines.filter((line) =>
    /^error:.*(pending operations?|interrupted while)/.test(line),
  );
  if (pending.length > 0) {
    return {
      kind: "pending",
      cause: unique([
        ...pending,
        ...lines.filter((line) => /^\* urn:.*interrupted while/.test(line)),
      ]),
    };
  }
  const host = unique(text.match(HOST_LINE) ?? []).map((line) => line.replace(/["']+$/, ""));
  if (host.length > 0) {
    const all = host.join("\n");
    const kind: FailureKind =
      /did not become healthy|health check fails|requests through .* fail|failed its canary/.test(
        all,
      )
        ? "unhealthy"
        : /cannot pull|docker login .* failed/.test(all)
          ? "pull"
          : /holds the lock on this host/.test(all)
            ? "host-lock"
            : "host";
    return { kind, cause: host };
  }
  // What a local command's script printed as its reason (`slipway: …`, the lines after the
  // engine's `error: exit status 1: running "exec /bin/sh -s":`), then what a program that
  // threw said (`Error: …`), then the engine's own error lines.
  const reasons = lines.flatMap((line, index) => {
    if (!/^error: exit status \d+: running /.test(line)) {
      return [];
    }
    const after = lines.slice(index + 1);
    const end = after.findIndex((next) => !next.startsWith("slipway: "));
    return after.slice(0, end === -1 ? after.length : end);
  });
  const errors = unique([
    ...reasons,
    ...lines.filter((line) => /^[A-Za-z]*Error: \S/.test(line)),
    ...lines.filter((line) => /^error:/.test(line) && !GENERIC.test(line)),
  ]);
  const ssh = lines.filter((line) =>
    /ssh: handshake failed|unable to authenticate|connection refused|no route to host|i\/o timeout|dial tcp/.test(
      line,
    ),
  );
  if (ssh.length > 0) {
    return { kind: "host-unreachable", cause: unique(ssh) };
  }
  if (errors.some((line) => /failed to (solve|push|build)|buildkit|docker-build/.test(line))) {
    return { kind: "build", cause: errors };
  }
  return { kind: "other", cause: errors };
}

/**
 * The digests an unhealthy failure's host lines name (`slipway: host web-1: release
 * sha256:… did not become healthy …`), each with its first line without the `slipway: `
 * prefix: what the ledger records as failed on the stack.
 */
export function unhealthyDigests(
  cause: readonly string[],
): { readonly digest: string; readonly reason: string }[] {
  const found = new Map<string, string>();
  for (const line of cause) {
    const match = /^slipway: (host [^:\s]+: release (sha256:[0-9a-f]{64}) .*)$/.exec(line);
    if (
      match !== null &&
      !found.has(match[2]!) &&
      /did not become healthy|health check fails|requests through .* fail|failed its canary/.test(
        line,
      )
    ) {
      found.set(match[2]!, match[1]!);
    }
  }
  return [...found].map(([digest, reason]) => ({ digest, reason }));
}

/** A stack's role, as its config says: builds its images, or pins what another stack built. */
export type StackRole = "build" | "promote";

/**
 * What to run after a failed update of `stack`, for the kind of failure and the stack's role.
 * `retry` is the command that re-runs the update; `earlier` says whether the ledger has a
 * release to roll back to.
 */
export function nextSteps(
  failure: FailureKind,
  options: {
    readonly stack: string;
    readonly role: StackRole;
    readonly retry: string;
    readonly earlier: boolean;
  },
): string[] {
  const { stack, role, retry } = options;
  const back =
    role === "promote" && options.earlier
      ? [`slipway rollback --stack ${stack}  # pin the release the hosts still run`]
      : [];
  const fixAndDeploy =
    role === "build"
      ? `git revert <commit>  # or fix it; then: ${retry}`
      : `${retry}  # once the cause is fixed`;
  switch (failure) {
    case "locked":
      return [
        `pulumi cancel --stack ${stack} --yes  # only if no update of ${stack} is running (removes the lock)`,
        retry,
      ];
    case "pending":
      return [
        `pulumi refresh --stack ${stack} --clear-pending-creates --yes  # reads what the interrupted update left`,
        retry,
      ];
    case "unhealthy":
      return [...back, fixAndDeploy];
    case "pull":
      return [`${retry}  # once the host can reach the registry and the digest is there`, ...back];
    case "host-lock":
      return [`${retry}  # once the other deploy on that host has finished`];
    case "host-unreachable":
      return [`${retry}  # once the host answers over SSH with the configured key`];
    case "build":
      return [`${retry}  # once the build is fixed (see the error above)`];
    case "host":
    case "other":
      return [`${retry}  # retry once the cause is fixed`, ...back];
    default: {
      const unreachable: never = failure;
      return unreachable;
    }
  }
}
