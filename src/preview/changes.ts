/** What a pull-request preview summary says: each image's and each host's change. */

/** One side of an image's change. `pending`: built by `pulumi up`, its digest unknown yet. */
export interface ImageSide {
  readonly digest?: string;
  readonly pending?: boolean;
  readonly revision?: string;
  readonly repository?: string;
}

export type ImageStatus = "changed" | "rebuilt" | "added" | "removed" | "unchanged";

export interface ImageChange {
  readonly name: string;
  readonly status: ImageStatus;
  readonly old?: ImageSide;
  readonly new?: ImageSide;
}

export type HostStatus = "redeployed" | "added" | "removed";

export interface HostChange {
  readonly name: string;
  readonly address?: string;
  readonly status: HostStatus;
  /**
   * The service definition (env, ports, health, proxy) changes on this host while the image
   * it runs does not: a redeploy with no new digest.
   */
  readonly definitionOnly?: true;
}

export interface PreviewSummary {
  readonly stack?: string;
  /** Web address of the source repository, when the images or the config say it. */
  readonly source?: string;
  readonly images: readonly ImageChange[];
  readonly hosts: readonly HostChange[];
  readonly changeSummary: Readonly<Record<string, number>>;
  readonly errors: number;
  /**
   * Images of a build stack that run a rollback pin instead of a build (`pin.pinnedAt` beside
   * `build`), with the release it restores; absent when there is none.
   */
  readonly rollbackPins?: readonly { readonly image: string; readonly restores?: number }[];
}
