import pLimit from "p-limit";
// The module itself: the folder's index also loads @pulumi/pulumi.
import type { RegistryConfig } from "../../config";
import { repositoryConfigFor } from "../../config/registry-repositories";
import { registryKind } from "../../reference";
import { protectedDigests } from "../../ledger";
import { imageRepository } from "../../images/plan";
import {
  ghcrPackages,
  planRetention,
  referrerSubject,
  RegistryError,
  GITHUB_API_URL,
  type DigestFacts,
  type RegistryClient,
  type RetentionPlan,
  type TaggedDigest,
} from "../../registry";
import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { refusal, validatedConfig } from "../pinning";
import { clientFor } from "../registries";
import { shortDigest } from "../table";

interface RetentionOptions {
  readonly stack: string;
  /** Overrides each repository's `keepDevVersions` when given. */
  readonly keep?: number;
  readonly dryRun: boolean;
  readonly images?: readonly string[];
}

/** Registry requests in flight at once per repository. */
const CONCURRENCY = 8;

/** `work` over every item, at most `limit` at a time (p-limit); results in the order of `items`. */
function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const run = pLimit(limit);
  return Promise.all(items.map((item) => run(() => work(item))));
}

/** `dev-3-g…, sha-…` and, when there are any, the referrer tags and manifests deleted with it. */
function describeDeleted(entry: RetentionPlan["deleted"][number]): string {
  const extra = [
    ...(entry.referrers.length === 0 ? [] : [`referrers ${entry.referrers.join(", ")}`]),
    ...(entry.children.length === 0
      ? []
      : [`with ${plural(entry.children.length, "manifest")} it lists or that refer to it`]),
  ];
  return `${entry.tags.join(", ")}${extra.length === 0 ? "" : `; ${extra.join("; ")}`}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/**
 * How manifests are deleted: by the distribution API, or on GHCR (which refuses that with
 * 405) as package versions through GitHub's REST API.
 */
function deleterFor(
  run: Run,
  client: RegistryClient,
  server: string,
  repoPath: string,
  registry: RegistryConfig,
): (digest: string) => Promise<void> {
  if (registryKind(server) !== "ghcr") {
    return (digest) => client.delete(repoPath, digest);
  }
  const token = run.deps.githubApi?.token ?? registry.password?.reveal();
  if (token === undefined) {
    throw new CliError(
      EXIT.refused,
      `deleting from GHCR needs a GitHub token: set GITHUB_TOKEN (packages: write) or slipway:registry.password`,
    );
  }
  const slash = repoPath.indexOf("/");
  const packages = ghcrPackages({
    apiUrl: run.deps.githubApi?.url ?? GITHUB_API_URL,
    owner: repoPath.slice(0, slash),
    packageName: repoPath.slice(slash + 1),
    token,
  });
  return (digest) => packages.deleteDigest(digest);
}

/** Every fact retention needs of one repository, read from the registry. */
async function readRepository(
  client: RegistryClient,
  repoPath: string,
): Promise<{ tags: TaggedDigest[]; facts: Map<string, DigestFacts> }> {
  const resolved = await mapLimit(await client.tags(repoPath), CONCURRENCY, async (tag) => ({
    tag,
    digest: await client.resolve(repoPath, tag),
  }));
  const tags: TaggedDigest[] = resolved.flatMap((item) =>
    item.digest === undefined ? [] : [{ tag: item.tag, digest: item.digest }],
  );
  const unique = [...new Set(tags.map((item) => item.digest))];
  const descriptions = await mapLimit(unique, CONCURRENCY, (digest) =>
    client.describe(repoPath, digest, { created: true }),
  );
  // The referrers API, where the registry has one (one 404 says it has none).
  const first = unique[0] === undefined ? undefined : await client.referrers(repoPath, unique[0]);
  const referrers =
    first === undefined
      ? unique.map(() => undefined)
      : [
          first,
          ...(await mapLimit(unique.slice(1), CONCURRENCY, (digest) =>
            client.referrers(repoPath, digest),
          )),
        ];
  const facts = new Map<string, DigestFacts>();
  unique.forEach((digest, index) => {
    const description = descriptions[index];
    const found = referrers[index];
    facts.set(digest, {
      ...(description?.created === undefined ? {} : { created: description.created }),
      children: description?.children ?? [],
      ...(found === undefined ? {} : { referrers: found }),
    });
  });
  // Subjects of referrer tags that no tag or index names: are they still there?
  const known = new Set([
    ...facts.keys(),
    ...[...facts.values()].flatMap((fact) => fact.children ?? []),
  ]);
  const subjects = [...new Set(tags.flatMap((item) => referrerSubject(item.tag) ?? []))].filter(
    (subject) => !known.has(subject),
  );
  const present = await mapLimit(subjects, CONCURRENCY, (subject) =>
    client.exists(repoPath, subject),
  );
  subjects.forEach((subject, index) => {
    facts.set(subject, { children: [], missing: present[index] !== true });
  });
  return { tags, facts };
}

/**
 * `slipway retention --stack <stack> [--keep N] [--dry-run]`: deletes old per-build tags from
 * the stack's repositories, keeping releases, `latest`, `dev`, the build cache, the newest
 * N of each per-build kind (each repository's `keepDevVersions` unless `--keep` says), and
 * every digest any ledger or stack file references, each with its referrers.
 */
export async function retention(run: Run, options: RetentionOptions): Promise<void> {
  const config = await validatedConfig(run, options.stack);
  let protectedSet;
  try {
    protectedSet = protectedDigests(run.deps.root);
  } catch (error) {
    return refusal(error);
  }
  const selected = config.images.filter(
    (image) => options.images === undefined || options.images.includes(image.name),
  );
  const unknown = (options.images ?? []).filter(
    (name) => !config.images.some((image) => image.name === name),
  );
  if (unknown.length > 0) {
    throw new CliError(
      EXIT.usage,
      `${options.stack} has no image ${unknown.join(", ")} (it has ${config.images.map((image) => image.name).join(", ")})`,
    );
  }
  // One entry per repository, with the keep of its (first) image.
  const repositories = new Map<string, number>();
  for (const image of selected) {
    const repository = imageRepository(config.registry, image);
    if (!repositories.has(repository)) {
      repositories.set(
        repository,
        options.keep ??
          repositoryConfigFor(config.registry.repositories, image.name).keepDevVersions,
      );
    }
  }

  // Docker Hub refuses the registry API's delete (405), and Slipway has no Docker Hub
  // delete of its own: say so before reading anything, rather than fail half-way.
  const hub = [...repositories.keys()].filter(
    (repository) => registryKind(repository.slice(0, repository.indexOf("/"))) === "dockerhub",
  );
  if (hub.length > 0 && !options.dryRun) {
    throw new CliError(
      EXIT.refused,
      `retention cannot delete from Docker Hub (${hub.join(", ")}): Docker Hub refuses the registry API's delete; ` +
        "see what would go with --dry-run and delete those tags on Docker Hub",
      [`${run.by} --dry-run`],
    );
  }

  const plans: RetentionPlan[] = [];
  const failures: string[] = [];
  let unreachable = false;
  for (const [repository, keep] of repositories) {
    const slash = repository.indexOf("/");
    const server = repository.slice(0, slash);
    const repoPath = repository.slice(slash + 1);
    const client = clientFor(run, server, [config.registry]);
    try {
      const { tags, facts } = await readRepository(client, repoPath);
      const plan = planRetention({
        repository,
        tags,
        facts,
        keep,
        protectedDigests: protectedSet,
      });
      if (!options.dryRun) {
        const remove = deleterFor(run, client, server, repoPath, config.registry);
        for (const entry of plan.deleted) {
          // What it lists and what refers to it first: an interrupted run leaves the subject,
          // and the next run finds the rest again.
          for (const child of entry.children) {
            await remove(child);
          }
          await remove(entry.digest);
          run.progress(`deleted ${repository}@${entry.digest} (${describeDeleted(entry)})`);
        }
      }
      plans.push(plan);
    } catch (error) {
      if (!(error instanceof RegistryError)) {
        throw error;
      }
      unreachable ||= error.kind === "unreachable" || error.kind === "unauthorized";
      failures.push(`${repository}: ${error.message}`);
    }
  }

  const verb = options.dryRun ? "would delete" : "deleted";
  const sections = plans.map((plan) => {
    const lines = [
      `${plan.repository} (keep ${plan.keep} of each per-build tag kind):`,
      ...plan.kept.map((tag) => `  keep    ${tag.tag}  ${shortDigest(tag.digest)}  ${tag.reason}`),
      ...plan.deleted.map(
        (entry) =>
          `  ${options.dryRun ? "would delete" : "deleted"}  ${entry.digest}  ${describeDeleted(entry)}`,
      ),
    ];
    if (plan.kept.length === 0 && plan.deleted.length === 0) {
      lines.push("  no tags");
    }
    return lines.join("\n");
  });
  const manifests = plans.reduce((sum, plan) => sum + plan.deleted.length, 0);
  const tags = plans.reduce(
    (sum, plan) =>
      sum +
      plan.deleted.reduce((count, entry) => count + entry.tags.length + entry.referrers.length, 0),
    0,
  );
  const listed = plans.reduce(
    (sum, plan) => sum + plan.deleted.reduce((count, entry) => count + entry.children.length, 0),
    0,
  );
  const summary = `${verb} ${plural(manifests, "manifest")} (${plural(tags, "tag")}${listed > 0 ? `; and ${plural(listed, "manifest")} they list or that refer to them` : ""}) in ${plural(plans.length, "repository").replace("repositorys", "repositories")}${options.dryRun ? "; nothing was deleted (--dry-run)" : ""}`;
  run.result([...sections, summary].join("\n"), {
    stack: options.stack,
    keep: options.keep ?? null,
    dryRun: options.dryRun,
    repositories: plans,
    errors: failures,
  });
  if (failures.length > 0) {
    throw new CliError(
      unreachable ? EXIT.unreachable : EXIT.refused,
      `retention stopped for ${plural(failures.length, "repository").replace("repositorys", "repositories")}:\n${failures.map((line) => `  ${line}`).join("\n")}`,
      [run.by],
    );
  }
}
