/**
 * Image references pinned by digest: `repository[:tag]@sha256:<64 hex>`.
 *
 * Everything past the build refers to an image this way; a reference without a digest is
 * refused, because a tag can move and a rollback must return to exactly what ran before.
 */

/**
 * `repository[:tag]` split at its tag: the tag follows the last `:` after the last `/`, so
 * a registry's port (`127.0.0.1:5000/team/web`) is never taken for a tag. The one reading of
 * "the tag of a reference"; nothing is validated here.
 */
export function splitTag(name: string): { readonly repository: string; readonly tag?: string } {
  const colon = name.lastIndexOf(":");
  return colon > name.lastIndexOf("/")
    ? { repository: name.slice(0, colon), tag: name.slice(colon + 1) }
    : { repository: name };
}

/** `sha256:` followed by 64 lowercase hex digits. */
export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** One path component of a repository name, as the OCI distribution spec defines it. */
export const REPOSITORY_COMPONENT_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** A tag, as the OCI distribution spec defines it. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** A registry host with an optional port: `ghcr.io`, `docker.io`, `127.0.0.1:5000`, `[::1]:5000`. */
export const REGISTRY_PATTERN =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

export interface DigestReference {
  /** Registry host and optional port, e.g. `ghcr.io` or `127.0.0.1:5000`. */
  readonly registry: string;
  /** Repository path below the registry, e.g. `acme/api`. */
  readonly path: string;
  /** `registry/path`, the name `docker pull` takes before the `@`. */
  readonly repository: string;
  /** The tag the digest was published under, when the reference names one. */
  readonly tag?: string;
  /** `sha256:<64 hex>`. */
  readonly digest: string;
  /** `repository@digest`: the canonical form used everywhere downstream. */
  readonly ref: string;
}

export class ReferenceError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid image reference ${JSON.stringify(input)}: ${reason}`);
    this.name = "ReferenceError";
  }
}

/** Checks a digest on its own; returns the reason it is wrong, or undefined when it is fine. */
export function digestProblem(digest: string): string | undefined {
  if (DIGEST_PATTERN.test(digest)) {
    return undefined;
  }
  const at = digest.lastIndexOf("@");
  if (at > 0 || digest.includes("/")) {
    const tail = at > 0 ? digest.slice(at + 1) : "";
    return DIGEST_PATTERN.test(tail)
      ? `is a full image reference; give only the digest: ${tail}`
      : "is an image reference, not a digest; give only sha256:<64 hex digits>";
  }
  if (!digest.includes(":")) {
    return "a digest is sha256:<64 lowercase hex digits>; this has no algorithm prefix";
  }
  const [algorithm, hex = ""] = digest.split(":", 2);
  if (algorithm !== "sha256") {
    return `digest algorithm ${JSON.stringify(algorithm)} is not supported; use sha256`;
  }
  if (!/^[a-f0-9]*$/.test(hex)) {
    return "a sha256 digest has only lowercase hex digits after 'sha256:'";
  }
  return `a sha256 digest has 64 hex digits after 'sha256:'; this has ${hex.length}`;
}

/** Checks a repository (`registry/path`); returns the reason it is wrong, or undefined. */
function repositoryProblem(repository: string): string | undefined {
  const slash = repository.indexOf("/");
  if (slash <= 0) {
    return "a repository is registry/path, e.g. ghcr.io/acme/api";
  }
  const registry = repository.slice(0, slash);
  if (!REGISTRY_PATTERN.test(registry)) {
    return `${JSON.stringify(registry)} is not a registry host[:port]`;
  }
  for (const component of repository.slice(slash + 1).split("/")) {
    if (!REPOSITORY_COMPONENT_PATTERN.test(component)) {
      return `${JSON.stringify(component)} is not a valid repository path component (lowercase letters, digits, and . _ - between them)`;
    }
  }
  return undefined;
}

/** Parses `repository[:tag]@sha256:<hex>`; throws ReferenceError naming what is wrong. */
export function parseDigestReference(input: string): DigestReference {
  const at = input.lastIndexOf("@");
  if (at < 0) {
    throw new ReferenceError(
      input,
      "it has no @sha256:<digest>; pin images by digest, a tag can move",
    );
  }
  const name = input.slice(0, at);
  const digest = input.slice(at + 1);
  const digestIssue = digestProblem(digest);
  if (digestIssue !== undefined) {
    throw new ReferenceError(input, digestIssue);
  }
  const { repository, tag } = splitTag(name);
  if (tag !== undefined && !TAG_PATTERN.test(tag)) {
    throw new ReferenceError(input, `${JSON.stringify(tag)} is not a valid tag`);
  }
  const repositoryIssue = repositoryProblem(repository);
  if (repositoryIssue !== undefined) {
    throw new ReferenceError(input, repositoryIssue);
  }
  const slash = repository.indexOf("/");
  return {
    registry: repository.slice(0, slash),
    path: repository.slice(slash + 1),
    repository,
    ...(tag === undefined ? {} : { tag }),
    digest,
    ref: `${repository}@${digest}`,
  };
}

/** `repository@digest`, validated. */
export function digestRef(repository: string, digest: string): string {
  return parseDigestReference(`${repository}@${digest}`).ref;
}
