import { createHash } from "node:crypto";
import * as path from "node:path";
import * as semver from "semver";
import type { BuildConfig } from "../config";
import { quote } from "../deploy/shell";
import { parseDigestReference } from "../reference";
import { bareTag, DEV_BUILD, SHA } from "../registry/tags";
import { registryConfigPrelude } from "./registry-config";

/**
 * Tags that name one build for good: `sha-<short>[-<variant>][-dirty]`,
 * `dev-<count>-g<short>` and an exact version (`v1.2.3`, `1.2.3`, `1.2.3-rc.1`). Every other
 * tag moves from build to build (`dev`, `latest`, `1.2`, `1`, `pr-<n>`, a branch name, static
 * extras): those move only once the release is healthy on the stack's hosts.
 */
export function isMovingTag(tag: string): boolean {
  if (SHA.test(tag) || DEV_BUILD.test(tag)) {
    return false;
  }
  return semver.valid(tag.startsWith("v") ? tag.slice(1) : tag) === null;
}

/** `repository:tag` references split into the tags pushed with the build and the moving ones. */
export function splitTags(refs: readonly string[]): { fixed: string[]; moving: string[] } {
  return {
    fixed: refs.filter((ref) => !isMovingTag(bareTag(ref))),
    moving: refs.filter((ref) => isMovingTag(bareTag(ref))),
  };
}

/**
 * What makes one build of a commit differ from another: the Dockerfile (relative to the
 * project), the target and the build args. Undefined for the plain build (default
 * Dockerfile, last stage, no args), which owns `sha-<short>`; any other definition gets
 * `sha-<short>-<8 hex of this>`, so two definitions never share a commit's sha tag.
 */
export function buildVariant(build: BuildConfig, root: string): string | undefined {
  const context = path.resolve(root, build.context);
  const dockerfile =
    build.dockerfile === undefined
      ? undefined
      : path.relative(context, path.resolve(root, build.dockerfile));
  const args = Object.entries(build.args).sort(([a], [b]) => a.localeCompare(b));
  if (
    (dockerfile === undefined || dockerfile === "Dockerfile") &&
    build.target === undefined &&
    args.length === 0
  ) {
    return undefined;
  }
  const definition = JSON.stringify({
    dockerfile: dockerfile ?? "Dockerfile",
    target: build.target ?? null,
    args,
  });
  return createHash("sha256").update(definition).digest("hex").slice(0, 8);
}

/** Environment the tag script reads the registry's `user:password` (base64) from. */
export const MOVE_TAGS_AUTH_ENV = "SLIPWAY_REGISTRY_AUTH";

/**
 * The script that points `tags` (bare tags) at `ref` in its registry with `oras tag`: run by
 * the stack after every host runs `ref` healthily. Credentials come from the environment,
 * never the text.
 */
export function moveTagsScript(input: {
  readonly ref: string;
  readonly tags: readonly string[];
  readonly insecure: boolean;
}): string {
  const parsed = parseDigestReference(input.ref);
  const flags = `${input.insecure ? "--plain-http " : ""}--registry-config "$DOCKER_CONFIG/config.json"`;
  return [
    ...registryConfigPrelude(parsed.registry, MOVE_TAGS_AUTH_ENV, false),
    `command -v oras >/dev/null 2>&1 || { echo "slipway: oras is not installed; it moves the tags ${input.tags.join(", ")}" >&2; exit 1; }`,
    `oras tag ${flags} ${quote(parsed.ref)} ${input.tags.map(quote).join(" ")}`,
    `echo ${quote(`slipway: moved ${input.tags.join(", ")} to ${parsed.ref}`)}`,
    "",
  ].join("\n");
}
