/** Platforms of an image as the registry describes them: `linux/amd64`, `linux/arm64`. */

/** A `platform` object of an index entry, or the os/architecture fields of an image config. */
interface PlatformFields {
  readonly os?: unknown;
  readonly architecture?: unknown;
  readonly variant?: unknown;
}

/**
 * `os/architecture[/variant]`, with the default variant dropped (`linux/arm64/v8` is
 * `linux/arm64`, as Docker writes it). Undefined for missing fields and for BuildKit's
 * attestation entries (`unknown/unknown`).
 */
export function platformName(fields: PlatformFields | undefined): string | undefined {
  if (typeof fields?.os !== "string" || typeof fields.architecture !== "string") {
    return undefined;
  }
  if (fields.os === "unknown" || fields.architecture === "unknown") {
    return undefined;
  }
  const variant = typeof fields.variant === "string" ? fields.variant : "";
  const dropVariant = variant === "" || (fields.architecture === "arm64" && variant === "v8");
  return `${fields.os}/${fields.architecture}${dropVariant ? "" : `/${variant}`}`;
}

/** One entry of an OCI index or Docker manifest list. */
export interface IndexEntry {
  readonly digest: string;
  /** Undefined for attestation manifests, which describe another entry. */
  readonly platform?: string;
}

/** The entries of an index body; attestation manifests are kept, with no platform. */
export function indexEntries(body: unknown): IndexEntry[] {
  const manifests = (body as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) {
    return [];
  }
  const entries: IndexEntry[] = [];
  for (const item of manifests as unknown[]) {
    const entry = item as {
      digest?: unknown;
      platform?: PlatformFields;
      annotations?: Record<string, unknown>;
    };
    if (typeof entry.digest !== "string") {
      continue;
    }
    const attestation = entry.annotations?.["vnd.docker.reference.type"] === "attestation-manifest";
    const platform = attestation ? undefined : platformName(entry.platform);
    entries.push(
      platform === undefined ? { digest: entry.digest } : { digest: entry.digest, platform },
    );
  }
  return entries;
}

/** Which of `required` are not in `available`, in the order `required` lists them. */
export function missingPlatforms(
  required: readonly string[],
  available: readonly string[],
): string[] {
  return required.filter((platform) => !available.includes(platform));
}
