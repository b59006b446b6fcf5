import type { RegistryKind } from "../reference";

/** The label GHCR reads to link a package to a GitHub repository. */
export const SOURCE_LABEL = "org.opencontainers.image.source";

/** What Slipway sets on a repository of each kind, and what stays with people (for outputs and docs). */
export function managedFields(kind: RegistryKind): {
  readonly managed: readonly string[];
  readonly unmanaged: string;
} {
  switch (kind) {
    case "dockerhub":
      return {
        managed: ["existence", "description", "visibility"],
        unmanaged:
          "collaborators, team permissions and the full description (README) are set on Docker Hub",
      };
    case "ghcr":
      return {
        managed: ["existence after the first push (checked)", `${SOURCE_LABEL} link (checked)`],
        unmanaged:
          "visibility, access and the description are package settings on GitHub (package page > Package settings); " +
          "GitHub has no API to change them",
      };
    case "oci":
      return {
        managed: ["answers (checked)"],
        unmanaged:
          "a plain registry has no visibility, description or access settings per repository",
      };
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

/**
 * A source URL as GHCR compares it: without trailing slashes and `.git`, lowercase. The
 * repository check script does the same to the label in jq (ASCII lowercase).
 */
export function normalizeSource(url: string): string {
  return url
    .replace(/\/+$/, "")
    .replace(/\.git$/, "")
    .toLowerCase();
}

/** Why a repository fails its check for want of `digest`; `where` is `server/path`. */
export function missingDigestMessage(where: string, digest: string): string {
  return `${where} has no manifest ${digest}; push the image (pulumi up on the build stack) before this check`;
}

/**
 * Why `digest` fails its source-label check, around the label as shown (`"…"` or `unset`):
 * what comes before it and what after (the check script puts its own value between).
 */
export function sourceLabelMessage(
  where: string,
  digest: string,
  source: string,
): { readonly before: string; readonly after: string } {
  return {
    before: `${where}@${digest} has ${SOURCE_LABEL} `,
    after:
      `, but the stack's source is ${source}; GHCR links the package to the repository this label names: ` +
      "set slipway:source, or remove a LABEL that overrides it in the Dockerfile",
  };
}
