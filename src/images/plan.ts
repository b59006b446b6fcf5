import * as path from "node:path";
import type { BuildConfig, ImageConfig, Platform, RegistryConfig } from "../config";
import type { SourceInfo } from "./git";
import { buildVariant } from "./moving-tags";
import { imageLabels, imageTags } from "./tags";

/** `<server>/<namespace>/<name>`, the repository an image is pushed to and pulled from. */
export function repositoryFor(
  registry: Pick<RegistryConfig, "server" | "namespace">,
  name: string,
): string {
  return [registry.server, registry.namespace, name]
    .filter((part) => part !== undefined && part !== "")
    .join("/");
}

/** The repository an image of a stack lives in: a pin's own `repository`, else `repositoryFor`. */
export function imageRepository(
  registry: Pick<RegistryConfig, "server" | "namespace">,
  image: ImageConfig,
): string {
  return image.kind === "pin" && image.pin.repository !== undefined
    ? image.pin.repository
    : repositoryFor(registry, image.name);
}

/** Cache import and export settings in the shape of docker-build's `cacheFrom`/`cacheTo`. */
interface CachePlan {
  readonly cacheFrom: Record<string, unknown>[];
  readonly cacheTo: Record<string, unknown>[];
}

/** The default registry cache lives beside the image: `<repository>:buildcache`. */
const CACHE_TAG = "buildcache";

function cachePlan(repository: string, name: string, cache: BuildConfig["cache"]): CachePlan {
  switch (cache.mode) {
    case "registry": {
      const ref = cache.ref ?? `${repository}:${CACHE_TAG}`;
      return {
        cacheFrom: [{ registry: { ref } }],
        cacheTo: [{ registry: { ref, mode: "max", imageManifest: true, ociMediaTypes: true } }],
      };
    }
    case "gha": {
      const scope = cache.scope ?? name;
      return { cacheFrom: [{ gha: { scope } }], cacheTo: [{ gha: { scope, mode: "max" } }] };
    }
    case "none":
      return { cacheFrom: [], cacheTo: [] };
    default: {
      const never: never = cache.mode;
      throw new Error(`unknown cache mode ${String(never)}`);
    }
  }
}

/** Everything an image build needs, computed from config and the commit; no Pulumi in here. */
export interface BuildPlan {
  readonly name: string;
  readonly repository: string;
  /** The commit its labels name: HEAD, or the last commit of its context (`stamp: context`). */
  readonly revision: string;
  /** Full references pushed: `<repository>:<tag>`. */
  readonly tags: string[];
  readonly labels: Record<string, string>;
  readonly platforms: Platform[];
  /** Absolute context folder. */
  readonly context: string;
  /** Absolute Dockerfile path. */
  readonly dockerfile: string;
  readonly target?: string;
  readonly buildArgs: Record<string, string>;
  /** Ids of the BuildKit secrets (their values stay in config until the component). */
  readonly secretIds: string[];
  readonly cache: CachePlan;
  readonly buildOnPreview: boolean;
}

/** Seconds since the epoch of the commit time, as `SOURCE_DATE_EPOCH` wants them. */
function sourceDateEpoch(commitTime: string): string {
  return String(Math.floor(Date.parse(commitTime) / 1000));
}

/** Whether an image's digest follows its own context (`stamp: context` or `none`), not HEAD. */
function stampedByContext(build: Pick<BuildConfig, "stamp">): boolean {
  return build.stamp !== "commit";
}

/**
 * What `readSource` reads for the images stamped by their context: those contexts, and for
 * each, a Dockerfile that lies outside it (its commits change the image too).
 */
export function stampedPaths(
  builds: readonly Pick<BuildConfig, "stamp" | "context" | "dockerfile">[],
  root: string,
): { stampedContexts: string[]; contextExtras: Record<string, string[]> } {
  const stamped = builds.filter(stampedByContext);
  const contextExtras: Record<string, string[]> = {};
  for (const build of stamped) {
    if (build.dockerfile === undefined) {
      continue;
    }
    const relative = path.relative(
      path.resolve(root, build.context),
      path.resolve(root, build.dockerfile),
    );
    if (relative.startsWith("..")) {
      const extras = (contextExtras[build.context] ??= []);
      if (!extras.includes(build.dockerfile)) {
        extras.push(build.dockerfile);
      }
    }
  }
  return {
    stampedContexts: [...new Set(stamped.map((build) => build.context))],
    contextExtras,
  };
}

/**
 * The commit an image's labels, time and tags come from: HEAD, or with `stamp: context` or
 * `none` the last commit that changed its context (HEAD's release version only when that is
 * HEAD).
 */
export function stampSource(
  source: SourceInfo,
  build: Pick<BuildConfig, "stamp" | "context">,
): SourceInfo {
  const last = stampedByContext(build) ? source.contexts?.[build.context] : undefined;
  if (last === undefined) {
    return source;
  }
  const rest: SourceInfo & { version?: string } = { ...source };
  if (last.sha !== source.sha) {
    delete rest.version;
  }
  return {
    ...rest,
    sha: last.sha,
    commitTime: last.commitTime,
    commitCount: last.commitCount,
    // Only its own context's changes make it dirty.
    dirty: last.dirty,
  };
}

export function planBuild(
  name: string,
  build: BuildConfig,
  registry: Pick<RegistryConfig, "server" | "namespace">,
  source: SourceInfo,
  root: string,
): BuildPlan {
  const repository = repositoryFor(registry, name);
  const context = path.resolve(root, build.context);
  const stamped = stampSource(source, build);
  return {
    name,
    repository,
    revision: stamped.sha,
    // Tags name the commit the digest comes from: with `stamp: context` or `none` the last one
    // that changed the context, so a commit elsewhere leaves every input of the build as it
    // was: no build, no push, no new tag (a release version on HEAD still tags every image).
    tags: imageTags(
      source.version === undefined ? stamped : { ...stamped, version: source.version },
      build.tags,
      buildVariant(build, root),
    ).map((tag) => `${repository}:${tag}`),
    labels: imageLabels(name, stamped, build.stamp === "none" ? "none" : "commit"),
    platforms: [...build.platforms],
    context,
    dockerfile:
      build.dockerfile === undefined
        ? path.join(context, "Dockerfile")
        : path.resolve(root, build.dockerfile),
    ...(build.target === undefined ? {} : { target: build.target }),
    // BuildKit stamps the image config and history with this instead of the clock, so a
    // rebuild of the same commit from the registry cache gives the same digest.
    // With `stamp: none`, time 0: the digest then follows the context alone.
    buildArgs: {
      SOURCE_DATE_EPOCH: build.stamp === "none" ? "0" : sourceDateEpoch(stamped.commitTime),
      ...build.args,
    },
    secretIds: Object.keys(build.secrets).sort(),
    cache: cachePlan(repository, name, build.cache),
    buildOnPreview: build.buildOnPreview,
  };
}
