/**
 * What the distribution API answers, as data: a manifest and what a digest is, the next page
 * of a listing (`Link` header) and the text of an error body.
 */

/** A manifest as the registry serves it. */
export interface Manifest {
  /** `sha256:…` of the exact bytes served. */
  readonly digest: string;
  readonly mediaType: string;
  readonly body: unknown;
}

/** What a digest is: a multi-platform index or a single image, and for which platforms. */
export interface ImageDescription {
  readonly digest: string;
  readonly mediaType: string;
  /** True for an OCI index or Docker manifest list. */
  readonly index: boolean;
  /** Runnable platforms, sorted; attestation manifests (`unknown/unknown`) are left out. */
  readonly platforms: readonly string[];
  /** Digests of every manifest an index lists (images and attestations); empty otherwise. */
  readonly children: readonly string[];
  /** The image config's `created` time (of the first platform), when asked for and present. */
  readonly created?: string;
}

/** The path and query of a `Link: <…>; rel="next"` header, relative to `/v2/<path>`. */
export function nextPage(link: string | null, path: string): string | undefined {
  const match = link === null ? null : /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  if (match === null) {
    return undefined;
  }
  const target = new URL(match[1]!, "http://registry.invalid");
  const prefix = `/v2/${path}`;
  return target.pathname.startsWith(prefix)
    ? `${target.pathname.slice(prefix.length)}${target.search}`
    : undefined;
}

/** ` (CODE: message)` from a distribution API error body, or an empty string. */
export function registryErrorText(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = body.errors?.[0];
    if (first !== undefined) {
      return ` (${String(first.code)}: ${String(first.message)})`;
    }
  } catch {
    // not JSON
  }
  return "";
}
