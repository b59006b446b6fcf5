/** What `slipway status` reports, per host, accessory and edge: the shapes both targets fill. */
import type { ReleaseEntry } from "../deploy";

/** What one host runs compared with what the stack pins. */
export type HostState = "in-sync" | "drift" | "no-release" | "unreadable" | "unreachable";

export interface HostStatus {
  readonly host: string;
  readonly state: HostState;
  /** What the host runs: the running container's release (from the record's entry). */
  readonly current?: ReleaseEntry;
  readonly previous?: readonly ReleaseEntry[];
  /** The digest of the release container that really runs, when one runs. */
  readonly running?: string;
  /** Why the host is not in sync, each reason in a few words; or why it could not be read. */
  readonly error?: string;
  /** What else runs that is not drift: a previous release still draining before its stop. */
  readonly note?: string;
  /** The previous release, running without traffic for the rollback window. */
  readonly warm?: {
    readonly container: string;
    readonly digest: string;
    /** UTC time the window ends, `YYYY-MM-DDTHH:MM:SSZ`. */
    readonly until: string;
  };
}

/** What an accessory runs on one host. */
export interface AccessoryStatus {
  readonly accessory: string;
  readonly host: string;
  readonly state: "healthy" | "drift" | "missing" | "unreachable";
  readonly running?: string;
  readonly error?: string;
  /** The supervisor's last event of the accessory: a restart. */
  readonly event?: string;
}

/** The edge of a host that routed services go through: `running`, `exited`, `missing`, … */
export interface EdgeStatus {
  readonly host: string;
  readonly state: string;
  /** The supervisor's last event of the edge: a restart. */
  readonly event?: string;
}
