/** The exit codes of `slipway`, for scripts; `--help` lists them. */
export const EXIT = {
  /** Done (status: every host runs what the stack pins). */
  ok: 0,
  /** Unexpected error: a bug. */
  internal: 1,
  /** Unknown command or option, missing or invalid argument. */
  usage: 2,
  /** Refused before changing anything: a check failed. */
  refused: 3,
  /**
   * An update (of up, promote, rollback or repair) failed, was interrupted, found the stack
   * locked or with pending operations, or was not recorded; promote and rollback keep the pins.
   */
  updateFailed: 4,
  /** status: a host runs something other than what the stack pins, or has no release. */
  drift: 5,
  /** A registry, a host or the Pulumi backend could not be reached or refused the credentials. */
  unreachable: 6,
  /** exec, accessory exec: the command ran and exited non-zero (its status is printed). */
  commandFailed: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  done (status: every host runs what the stack pins)
  1  unexpected error (a bug in slipway)
  2  usage error: unknown command or option, missing or invalid argument
  3  refused: a check failed and nothing was changed; see the next command
  4  an update (up, promote, rollback, repair) failed, was interrupted, found
     the stack locked or with pending operations, or its release could not be
     recorded; promote and rollback keep the new pins; see the next command
  5  status: drift, a host runs something other than the stack pins
  6  a registry, a host or the Pulumi backend could not be reached or
     refused the credentials
  7  exec, accessory exec: the command ran on the host and exited non-zero
     (stderr names its exit status)`;
