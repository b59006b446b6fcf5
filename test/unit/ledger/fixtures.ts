import type { Release } from "../../../src/ledger";

/** `sha256:` + 64 hex digits made from `n`. */
export const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, "0")}`;

/** A release of `web` (and `proxy` when given) at digest n. */
export function release(
  id: number,
  web: number,
  extra: Partial<Release> = {},
  proxy?: number,
): Release {
  return {
    id,
    at: `2025-01-0${Math.min(id, 9)}T12:00:00Z`,
    kind: "promote",
    by: "slipway promote --from dev --to prod",
    source: "dev",
    images: {
      web: { ref: `ghcr.io/acme/web@${digest(web)}`, digest: digest(web), tag: `sha-${web}` },
      ...(proxy === undefined
        ? {}
        : { proxy: { ref: `ghcr.io/acme/proxy@${digest(proxy)}`, digest: digest(proxy) } }),
    },
    update: { result: "succeeded", version: id + 10 },
    ...extra,
  };
}
