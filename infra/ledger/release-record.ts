import * as pulumi from "@pulumi/pulumi";
import type { ReleaseRecordRequest, ReleaseRecordResult } from "../../src/ledger/auto-record";
import type { ReleaseOutput } from "../../src/outputs/contract";

/** The state of a release record (inputs and outputs alike). */
export interface ReleaseRecordState extends ReleaseRecordRequest {
  /**
   * The compiled module that writes the ledger (`src/ledger/auto-record`), loaded by the
   * provider when it runs: the ledger code is not serialized into the provider.
   */
  readonly module: string;
  /** `ts-node/register/transpile-only`, when `module` is TypeScript (a program run from sources). */
  readonly register?: string;
  /** The entry written or found: its id; null for a no-op. */
  readonly recorded?: number | null;
}

/** What identifies the release: a change of it records again; anything else is ignored. */
function releaseKey(state: ReleaseRecordState): string {
  return JSON.stringify([state.stack, state.releaseId, state.release]);
}

/** Whether `news` is a release to record that `olds` did not already record. */
function changed(olds: ReleaseRecordState, news: ReleaseRecordState): boolean {
  return news.release !== null && releaseKey(olds) !== releaseKey(news);
}

async function write(state: ReleaseRecordState): Promise<ReleaseRecordState> {
  if (state.register !== undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(state.register);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ledger = require(state.module) as typeof import("../../src/ledger/auto-record");
  const request: ReleaseRecordRequest = {
    root: state.root,
    stack: state.stack,
    releaseId: state.releaseId,
    release: state.release,
    by: state.by,
    user: state.user,
  };
  const result: ReleaseRecordResult = ledger.recordRelease(
    request,
    new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  );
  return Promise.resolve({
    ...state,
    recorded: result.recorded === "no-op" ? null : result.release.id,
  });
}

/**
 * Writes the release an update made to the stack's ledger, as the update's last step: it
 * depends on every host's deployment, so a failed update never reaches it, and a preview only
 * diffs it. Keyed on the release (stack, id, digests, kind): an unchanged release runs
 * nothing, and recording is idempotent (see recordRelease). Delete does nothing: the ledger
 * keeps its history.
 */
export const releaseRecordProvider: pulumi.dynamic.ResourceProvider = {
  diff(_id: string, olds: ReleaseRecordState, news: ReleaseRecordState) {
    // A no-op update (no release to record) is no change either: after the last update's
    // release was written, the next id moves on while the release is null, and an update
    // that changes nothing must take no step.
    return Promise.resolve({ changes: changed(olds, news), replaces: [] });
  },

  async create(inputs: ReleaseRecordState) {
    return { id: `${inputs.stack}-ledger`, outs: await write(inputs) };
  },

  async update(_id: string, _olds: ReleaseRecordState, news: ReleaseRecordState) {
    return { outs: await write(news) };
  },

  delete() {
    return Promise.resolve();
  },
};

export interface ReleaseRecordArgs {
  /** The project root: where `stacks/releases/` is. */
  root: pulumi.Input<string>;
  /** The stack whose ledger gets the release. */
  stack: pulumi.Input<string>;
  /** The id the release gets (one more than the ledger had when the program read it). */
  releaseId: pulumi.Input<number>;
  /** The release the update makes; null for a no-op. */
  release: pulumi.Input<ReleaseOutput | null>;
  /** The command recorded as `by`. */
  by: pulumi.Input<string>;
  /** Who ran the update. */
  user: pulumi.Input<string>;
  /** The compiled ledger module the provider loads (see ReleaseRecordState.module). */
  module: pulumi.Input<string>;
  /** A TypeScript loader to register first, when `module` is TypeScript. */
  register?: pulumi.Input<string>;
}

/** The stack's ledger entry for this update's release (see releaseRecordProvider). */
export class ReleaseRecord extends pulumi.dynamic.Resource {
  /** The ledger id the release got; null for a no-op. */
  public readonly recorded!: pulumi.Output<number | null>;

  constructor(name: string, args: ReleaseRecordArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      releaseRecordProvider,
      name,
      { ...args, recorded: undefined },
      opts,
      "slipway",
      "ReleaseRecord",
    );
  }
}
