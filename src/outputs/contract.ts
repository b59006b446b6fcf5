/**
 * The stack outputs that promotion, rollback, history and status read: one contract, written
 * by the program (stacks/) and read by the CLI (src/cli/). Plain JSON values.
 */
import type { ReleaseImage, ReleaseKind } from "../ledger/schema";

/** One entry of a stack's `images` output. */
export interface ImageOutput {
  readonly repository: string;
  readonly digest: string;
  /** `repository@sha256:…`. */
  readonly ref: string;
  /** `repository:tag` for every tag the image was published under. */
  readonly tags: readonly string[];
  /** The platforms a build produced; empty for a pinned image (the registry knows). */
  readonly platforms: readonly string[];
  /** The git commit it was built from. */
  readonly revision?: string;
}

/** One entry of a stack's `hosts` output (no keys). */
export interface HostOutput {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly transport: "ssh" | "local";
}

/** One entry of a stack's `services` output (by service name, in rollout order). */
export interface ServiceOutput {
  readonly name: string;
  /** The name in `slipway:images` it runs. */
  readonly image: string;
  /** What the edge routes to the service: `http(s)://<host or *><path or />`. */
  readonly routes: readonly string[];
  readonly healthPath: string;
  readonly containerPort: number;
  /** Host names it runs on. */
  readonly hosts: readonly string[];
  /** No routes: a worker. */
  readonly worker: boolean;
}

/** One entry of a stack's `accessories` output. */
export interface AccessoryOutput {
  readonly name: string;
  /** The name in `slipway:images`, or the pinned reference. */
  readonly image: string;
  /** `repository@sha256:…` it runs. */
  readonly ref: string;
  readonly hosts: readonly string[];
  /** Volume names (without the host's prefix). */
  readonly volumes: readonly string[];
}

/** A stack's `deployed` output: the reference each service's deploy succeeded with, by service, then host. */
export type DeployedOutput = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** A Kubernetes stack's `kubernetes` output (null on SSH hosts): where its objects are. */
export interface KubernetesOutput {
  readonly namespace: string;
  /** The services' Deployments (each with its PodDisruptionBudget; a routed one, its Service), in rollout order. */
  readonly deployments: readonly string[];
  /** The accessories' StatefulSets (each with its headless Service). */
  readonly statefulSets: readonly string[];
  /** Each accessory volume's PersistentVolumeClaim. */
  readonly claims: readonly string[];
  /** The routed service's NodePort (`slipway:kubernetes.nodePort`), or null. */
  readonly nodePort: number | null;
}

/**
 * A stack's `release` output: what this update deploys, as the ledger records it, and how
 * it came about (from the pins: `source` after a promote, `restores` after a rollback).
 */
export interface ReleaseOutput {
  readonly kind: ReleaseKind;
  readonly source?: string;
  readonly restores?: number;
  readonly images: Readonly<Record<string, ReleaseImage>>;
}

/** One entry of the `ledger` output: a recorded release, or the one this update makes. */
export interface LedgerOutputEntry extends ReleaseOutput {
  readonly id: number;
  /** When it was recorded; absent for the release this update makes (recorded after it). */
  readonly at?: string;
  /** The stack version that deployed it; absent until it is recorded. */
  readonly version?: number;
}

/** A stack's `ledger` output: the ledger as it is once this update's release is recorded. */
export interface LedgerOutput {
  /** `stacks/releases/<stack>.yaml`. */
  readonly file: string;
  readonly releases: readonly LedgerOutputEntry[];
}
