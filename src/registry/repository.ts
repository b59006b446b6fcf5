import type { RegistryKind } from "../reference";
import type { RegistryClient } from "./client";

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

export interface RepositoryCheckInput {
  readonly client: RegistryClient;
  /** Repository path below the server, e.g. `acme/web`. */
  readonly path: string;
  /** A digest that must be in the repository (the one this stack pushed or pins). */
  readonly digest?: string;
  /** The source repository URL the image's `org.opencontainers.image.source` must name. */
  readonly source?: string;
}

export interface RepositoryCheckResult {
  /** How many tags the repository has. */
  readonly tags: number;
  /** The source label of `digest`, when one was checked. */
  readonly sourceLabel?: string;
}

function sameSource(a: string, b: string): boolean {
  const norm = (url: string) =>
    url
      .replace(/\/+$/, "")
      .replace(/\.git$/, "")
      .toLowerCase();
  return norm(a) === norm(b);
}

/**
 * Checks that the repository answers, that it holds `digest`, and that the image's source
 * label names `source`. Throws with what is wrong and how to fix it.
 */
export async function checkRepository(input: RepositoryCheckInput): Promise<RepositoryCheckResult> {
  const { client, path } = input;
  const where = `${client.server}/${path}`;
  const tags = await client.tags(path);
  if (input.digest === undefined) {
    return { tags: tags.length };
  }
  if (!(await client.exists(path, input.digest))) {
    throw new Error(
      `${where} has no manifest ${input.digest}; push the image (pulumi up on the build stack) before this check`,
    );
  }
  if (input.source === undefined) {
    return { tags: tags.length };
  }
  const config = (await client.imageConfigOf(path, input.digest)) as
    { config?: { Labels?: Record<string, unknown> } } | undefined;
  const label = config?.config?.Labels?.[SOURCE_LABEL];
  if (typeof label !== "string" || !sameSource(label, input.source)) {
    throw new Error(
      `${where}@${input.digest} has ${SOURCE_LABEL} ${typeof label === "string" ? JSON.stringify(label) : "unset"}, ` +
        `but the stack's source is ${input.source}; GHCR links the package to the repository this label names: ` +
        "set slipway:source, or remove a LABEL that overrides it in the Dockerfile",
    );
  }
  return { tags: tags.length, sourceLabel: label };
}
