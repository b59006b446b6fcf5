import type { Ledger, Release } from "./schema";
import type { StackPin } from "./stack-file";

/** How long one digest has run on the source stack, judged against the soak time. */
interface SoakState {
  readonly image: string;
  readonly digest: string;
  /** When the source's first release in its current run of this digest finished. */
  readonly since?: string;
  /** When it has soaked long enough (since + minSoakMinutes). */
  readonly eligibleAt?: string;
  /** Why it cannot be promoted now; undefined when it can. */
  readonly problem?: string;
}

const iso = (time: number): string => new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * Whether each image's digest ran on the source for at least `minSoakMinutes`: the source's
 * last release must run it (else it is not in sync there), and its run started with the
 * oldest release of the unbroken run of releases that ran it up to the last one.
 */
export function soakOf(
  source: Ledger,
  images: Readonly<Record<string, string>>,
  minSoakMinutes: number,
  now: Date,
): SoakState[] {
  const releases = source.releases;
  const last = releases[releases.length - 1];
  return Object.entries(images).map(([image, digest]) => {
    if (last === undefined) {
      return {
        image,
        digest,
        problem: `${image}: ${digest} is in no release of ${source.stack} (its ledger is empty)`,
      };
    }
    if (last.images[image]?.digest !== digest) {
      return {
        image,
        digest,
        problem: `${image}: ${digest} is not what ${source.stack} runs (its last release #${last.id} runs ${last.images[image]?.digest ?? "no such image"})`,
      };
    }
    let first: Release = last;
    for (let index = releases.length - 2; index >= 0; index -= 1) {
      const release = releases[index]!;
      if (release.images[image]?.digest !== digest) {
        break;
      }
      first = release;
    }
    const since = first.at;
    const eligible = Date.parse(since) + minSoakMinutes * 60_000;
    const minutes = Math.floor((now.getTime() - Date.parse(since)) / 60_000);
    return {
      image,
      digest,
      since,
      eligibleAt: iso(eligible),
      ...(now.getTime() >= eligible
        ? {}
        : {
            problem: `${image}: ${digest} has run on ${source.stack} for ${minutes} min (since ${since}, release #${first.id}), less than minSoakMinutes ${minSoakMinutes}; eligible at ${iso(eligible)}`,
          }),
    };
  });
}

/**
 * Why `slipway promote --auto` must not touch a stack now, or undefined: the stack holds
 * what a person chose (Kargo's holds) — its last release is a rollback or a hand-pinned
 * update, or its file pins a rollback not yet deployed — until someone promotes by hand.
 */
export function holdOf(
  ledger: Ledger,
  pins: Readonly<Record<string, StackPin>>,
): string | undefined {
  const last = ledger.releases[ledger.releases.length - 1];
  if (last !== undefined) {
    const held = heldBy(ledger.stack, last);
    if (held !== undefined) {
      return held;
    }
  }
  const pinned = Object.entries(pins).find(([, pin]) => pin.restores !== undefined);
  return pinned === undefined
    ? undefined
    : `${ledger.stack} pins ${pinned[0]} of release #${pinned[1].restores} (a rollback not deployed yet)`;
}

/** A release a person chose (a rollback, a hand pin), as `holdOf` words it; undefined for a promote. */
function heldBy(stack: string, last: Release): string | undefined {
  const who = `${last.user === undefined ? "" : ` by ${last.user}`} at ${last.at}`;
  const kind = last.kind;
  switch (kind) {
    case "rollback":
      return `release #${last.id} of ${stack} is a rollback${last.restores === undefined ? "" : ` to #${last.restores}`}${who}`;
    case "up":
      return `release #${last.id} of ${stack} deployed digests pinned by hand${who}`;
    case "promote":
      return undefined;
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}
