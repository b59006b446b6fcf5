import { RegistryError } from "./errors";

/**
 * GHCR refuses the distribution API's manifest DELETE (405 UNSUPPORTED): an image is deleted
 * as a version of its GitHub package, through the GitHub REST API. A version is named by its
 * manifest digest; platform images and attestations of an index are versions of their own.
 */

/** GitHub's REST API origin; a test passes its own fake instead. */
export const GITHUB_API_URL = "https://api.github.com";

interface GhcrPackagesOptions {
  readonly apiUrl: string;
  /** The package owner: the organisation or user in `ghcr.io/<owner>/<package>`. */
  readonly owner: string;
  /** The package name below the owner (`web`, or `team/web`). */
  readonly packageName: string;
  /** A token that may delete the package's versions (`packages: write`, or delete:packages). */
  readonly token: string;
  readonly fetch?: typeof fetch;
}

interface GhcrPackages {
  /** Deletes the version with this digest; a digest with no version is not an error. */
  deleteDigest(digest: string): Promise<void>;
}

async function call(
  options: GhcrPackagesOptions,
  method: "GET" | "DELETE",
  path: string,
): Promise<Response> {
  const url = `${options.apiUrl.replace(/\/+$/, "")}${path}`;
  try {
    return await (options.fetch ?? fetch)(url, {
      method,
      headers: {
        Accept: "application/vnd.github+json",
        Authorization: `Bearer ${options.token}`,
        "X-GitHub-Api-Version": "2022-11-28",
      },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new RegistryError(
      "unreachable",
      `cannot reach GitHub's API (${url}): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function refused(options: GhcrPackagesOptions, what: string, status: number): RegistryError {
  return new RegistryError(
    "unauthorized",
    `GitHub refused to ${what} of package ${options.owner}/${options.packageName}: ${status}; the token needs ` +
      "packages: write in a workflow (the package's Manage Actions access must give the repository Admin), or " +
      "read:packages and delete:packages as a personal access token",
  );
}

/**
 * The versions of one GHCR package by digest, listed once, and a delete for each. Tries the
 * organisation's package first, then the user's.
 */
export function ghcrPackages(options: GhcrPackagesOptions): GhcrPackages {
  const name = encodeURIComponent(options.packageName);
  let listing: Promise<{ base: string; ids: Map<string, number> }> | undefined;

  const list = async () => {
    for (const [owner, base] of [
      [`/orgs/${options.owner}`, `/orgs/${options.owner}`],
      [`/users/${options.owner}`, "/user"],
    ] as const) {
      const ids = new Map<string, number>();
      for (let page = 1; ; page += 1) {
        const response = await call(
          options,
          "GET",
          `${owner}/packages/container/${name}/versions?per_page=100&page=${page}`,
        );
        if (response.status === 404) {
          await response.body?.cancel();
          break;
        }
        if (response.status === 401 || response.status === 403) {
          await response.body?.cancel();
          throw refused(options, "list the versions", response.status);
        }
        if (response.status !== 200) {
          await response.body?.cancel();
          throw new RegistryError(
            "protocol",
            `GitHub answered the versions of package ${options.owner}/${options.packageName} with ${response.status}`,
          );
        }
        const versions = (await response.json()) as { id?: unknown; name?: unknown }[];
        for (const version of versions) {
          if (typeof version.id === "number" && typeof version.name === "string") {
            ids.set(version.name, version.id);
          }
        }
        if (versions.length < 100) {
          return { base, ids };
        }
      }
    }
    throw new RegistryError(
      "protocol",
      `GitHub has no container package ${options.owner}/${options.packageName} (neither an organisation's nor a user's)`,
    );
  };

  return {
    async deleteDigest(digest: string): Promise<void> {
      listing ??= list();
      const { base, ids } = await listing;
      const id = ids.get(digest);
      if (id === undefined) {
        return;
      }
      const response = await call(
        options,
        "DELETE",
        `${base}/packages/container/${name}/versions/${id}`,
      );
      await response.body?.cancel();
      if (response.status === 404) {
        return;
      }
      if (response.status === 401 || response.status === 403) {
        throw refused(options, `delete version ${digest}`, response.status);
      }
      if (response.status !== 204) {
        throw new RegistryError(
          "protocol",
          `GitHub answered the delete of ${options.owner}/${options.packageName} version ${digest} with ${response.status}`,
        );
      }
      ids.delete(digest);
    },
  };
}
