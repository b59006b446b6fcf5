import { z } from "zod";
import { registryKind } from "../reference";
import { asMap, has, type RawMap } from "./raw";
import { Secret } from "./secret";

/**
 * `slipway:registry.repositories.<image>`: how the repository of one image is declared
 * (visibility and description where the registry has an API for them) and how many per-build
 * versions retention keeps. Every image of a stack has a repository; this block only changes
 * the defaults.
 */

const VISIBILITIES = ["public", "private"] as const;

/** Docker Hub's limit for a repository's short description. */
const MAX_DESCRIPTION_LENGTH = 100;

/** Per-build versions (of each tag kind) that retention keeps by default. */
const DEFAULT_KEEP_DEV_VERSIONS = 10;

const text = z.string({
  error: (issue) =>
    issue.input instanceof Secret
      ? "is stored as a secret, but a description is public; store it as plain config"
      : issue.input === undefined
        ? "is required"
        : "expected a string",
});

const repositorySchema = z.strictObject({
  visibility: z
    .enum(VISIBILITIES, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a visibility; use one of ${VISIBILITIES.join(", ")}`,
    })
    .optional()
    .describe("`public` or `private` (Docker Hub only)."),
  description: text
    .max(
      MAX_DESCRIPTION_LENGTH,
      `must be at most ${MAX_DESCRIPTION_LENGTH} characters (Docker Hub's limit for a short description)`,
    )
    .optional()
    .describe("Short description (Docker Hub only), at most 100 characters."),
  keepDevVersions: z
    .number({ error: "expected a whole number of versions" })
    .int("must be a whole number of versions")
    .min(1, "must be at least 1: retention always keeps the newest build")
    .default(DEFAULT_KEEP_DEV_VERSIONS)
    .describe(
      "Retention keeps the newest N of each per-build tag kind (`dev-<n>-g<sha>`, `sha-*`, `pr-*`).",
    ),
});

export const repositoriesSchema = z.record(z.string(), repositorySchema).default({});

type RepositoryConfig = z.output<typeof repositorySchema>;

/** The settings of an image's repository: its own block, or the defaults. */
export function repositoryConfigFor(
  repositories: Readonly<Record<string, RepositoryConfig>>,
  image: string,
): RepositoryConfig {
  return repositories[image] ?? { keepDevVersions: DEFAULT_KEEP_DEV_VERSIONS };
}

/** An issue of a repository check; the path is below `slipway:<key>`. */
interface RepositoryIssue {
  readonly key: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * Checks across `slipway:registry` and `slipway:images`: a repository for an image the stack
 * does not have, settings the registry cannot take, and Docker Hub without a namespace or an
 * access token. Reads the raw config, so it reports alongside every schema problem.
 */
export function repositoryChecks(raw: RawMap): RepositoryIssue[] {
  const issues: RepositoryIssue[] = [];
  const registry = asMap(raw.registry);
  if (registry === undefined) {
    return issues;
  }
  const add = (key: string, path: readonly PropertyKey[], message: string) =>
    issues.push({ key, path, message });
  const images = asMap(raw.images);
  const imageNames = images === undefined ? [] : Object.keys(images);
  const repositories = asMap(registry.repositories) ?? {};
  const server = typeof registry.server === "string" ? registry.server : "";
  const kind = registryKind(server);

  for (const [name, value] of Object.entries(repositories)) {
    if (images !== undefined && !imageNames.includes(name)) {
      add(
        "registry",
        ["repositories", name],
        `the stack has no image ${JSON.stringify(name)} (it has ${imageNames.join(", ") || "none"}); ` +
          `remove this repository or declare slipway:images.${name}`,
      );
    }
    const repository = asMap(value);
    for (const field of ["visibility", "description"] as const) {
      if (kind === "dockerhub" || !has(repository, field)) {
        continue;
      }
      add(
        "registry",
        ["repositories", name, field],
        kind === "ghcr"
          ? `cannot be set through an API on GHCR; set the package's ${field} in its GitHub package settings and remove it here`
          : `a plain registry (${server}) has no repository ${field}; remove it`,
      );
    }
  }

  const hasImages = imageNames.length > 0 || Object.keys(repositories).length > 0;
  if (kind === "dockerhub" && hasImages) {
    if (!has(registry, "namespace")) {
      add(
        "registry",
        ["namespace"],
        "is required on Docker Hub: the Docker Hub user or organisation that owns the repositories",
      );
    }
    // With one of the two set, the username/password pairing check already names the other.
    const neither = !has(registry, "username") && !has(registry, "password");
    for (const field of ["username", "password"] as const) {
      if (neither) {
        add(
          "registry",
          [field],
          `is required on Docker Hub: Slipway creates and updates the repositories through Docker Hub's API with ` +
            `a user and an access token; set it with: pulumi config set ${field === "password" ? "--secret " : ""}` +
            `--path 'slipway:registry.${field}' <${field === "password" ? "access token" : "user"}>`,
        );
      }
    }
  }
  return issues;
}
