import type { ConfigSource } from "../config";

/** Results a stack operation can have, as `pulumi stack history` reports them. */
type UpdateResult = "succeeded" | "failed" | "in-progress" | "not-started";

/** The last update of a stack. */
export interface UpdateInfo {
  readonly result: UpdateResult;
  /** The stack version it created. */
  readonly version?: number;
  /** When it started and ended, ISO 8601. */
  readonly startTime?: string;
  readonly endTime?: string;
  /** Whether it changed any resource; undefined when the backend does not say. */
  readonly changed?: boolean;
}

export interface UpOptions {
  /** Receives the engine's progress output as it comes. */
  readonly onOutput: (text: string) => void;
  /** Aborts the update (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** URNs of resources to replace (re-run) even though their inputs did not change. */
  readonly replace?: readonly string[];
}

export interface UpOutcome {
  readonly version?: number;
  readonly seconds: number;
  /** The stack's outputs after the update, as plain values. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Whether the update changed any resource (false: a no-op, nothing deployed). */
  readonly changed: boolean;
  /**
   * The update as the stack's history shows it once it ended (version, times), when the
   * driver read it already; otherwise the caller asks `lastUpdate` for it.
   */
  readonly update?: UpdateInfo;
}

/** What a stack's last checkpoint holds: its outputs and what an interrupted update left. */
export interface StackState {
  /** The stack's outputs, as plain values (secrets decrypted). */
  readonly outputs: Readonly<Record<string, unknown>>;
  /**
   * Resource operations an interrupted update left pending (`type name, interrupted while
   * creating`); empty after a clean update.
   */
  readonly pending: readonly string[];
}

/** Why a driver call failed. */
type DriverErrorKind =
  /** The stack does not exist on the backend. */
  | "not-found"
  /** Another update holds the stack's lock (or an interrupted one left it behind). */
  | "locked"
  /** An interrupted update left operations pending; the engine refuses to go on. */
  | "pending"
  /** The update ran and failed (or was cancelled). */
  | "failed"
  /** The Pulumi CLI or the backend could not be used at all. */
  | "unavailable";

export class DriverError extends Error {
  constructor(
    readonly kind: DriverErrorKind,
    message: string,
    /** The engine's whole output, for finding the cause (see failure.ts). */
    readonly output: string = "",
  ) {
    super(message);
    this.name = "DriverError";
  }
}

/**
 * Everything the CLI asks of Pulumi, behind one small interface: the real one drives
 * `LocalWorkspace` (Automation API) on the user's backend; command tests use a fake.
 */
export interface StackDriver {
  /** The stack's `slipway:*` config, decrypted, with the stack file's text. */
  config(stack: string): Promise<ConfigSource>;
  /** The stack's outputs, as plain values. */
  outputs(stack: string): Promise<Record<string, unknown>>;
  /** Outputs and pending operations, from one read of the stack's checkpoint. */
  state(stack: string): Promise<StackState>;
  /** The newest update (kind `update`) of the stack; undefined when it never had one. */
  lastUpdate(stack: string): Promise<UpdateInfo | undefined>;
  /** Runs `pulumi up` on the stack as its files are now. */
  up(stack: string, options: UpOptions): Promise<UpOutcome>;
  /** The stack `pulumi stack select` selected in this project; undefined when none is. */
  selectedStack(): Promise<string | undefined>;
  /**
   * Starts what every engine call needs first (the Pulumi CLI's version check), while the
   * command reads files and checks registries; errors surface at the first real call.
   */
  prepare?(): void;
}
