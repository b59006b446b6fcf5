import type { BuildPlan } from "./plan";

/**
 * The `docker buildx build` argument list equivalent to what the ImageBuild component asks
 * docker-build for: the same platforms, tags, labels, target, args, secrets and cache. Used to
 * reproduce a build by hand, in tests against the real engine, and in benchmarks. Secret values
 * are read by buildx from the environment variable of the same name (`--secret id=X,env=X`),
 * so they never appear in the argument list.
 */
export function buildxArgs(
  plan: BuildPlan,
  options: { readonly builder?: string; readonly push?: boolean } = {},
): string[] {
  const args = ["buildx", "build"];
  if (options.builder !== undefined) {
    args.push("--builder", options.builder);
  }
  args.push("--platform", plan.platforms.join(","));
  for (const tag of plan.tags) {
    args.push("--tag", tag);
  }
  for (const [key, value] of Object.entries(plan.labels)) {
    args.push("--label", `${key}=${value}`);
  }
  if (plan.target !== undefined) {
    args.push("--target", plan.target);
  }
  for (const [key, value] of Object.entries(plan.buildArgs)) {
    args.push("--build-arg", `${key}=${value}`);
  }
  for (const id of plan.secretIds) {
    args.push("--secret", `id=${id},env=${id}`);
  }
  for (const from of plan.cache.cacheFrom) {
    args.push("--cache-from", cacheSpec(from));
  }
  for (const to of plan.cache.cacheTo) {
    args.push("--cache-to", cacheSpec(to));
  }
  args.push("--provenance=false", "--sbom=false");
  if (options.push ?? true) {
    args.push("--push");
  }
  args.push("--file", plan.dockerfile, plan.context);
  return args;
}

const CACHE_KEYS: Record<string, string> = {
  imageManifest: "image-manifest",
  ociMediaTypes: "oci-mediatypes",
};

function cacheSpec(entry: Record<string, unknown>): string {
  const [type, settings] = Object.entries(entry)[0] ?? ["", {}];
  const parts = [`type=${type}`];
  for (const [key, value] of Object.entries(settings as Record<string, unknown>)) {
    parts.push(`${CACHE_KEYS[key] ?? key}=${String(value)}`);
  }
  return parts.join(",");
}
