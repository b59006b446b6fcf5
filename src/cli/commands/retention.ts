import pLimit from "p-limit";
import { protectedDigests } from "../../ledger";
import { repositoryFor } from "../../images/plan";
import {
  planRetention,
  RegistryError,
  type DigestFacts,
  type RetentionPlan,
  type TaggedDigest,
} from "../../registry";
import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { refusal, validatedConfig } from "../pinning";
import { clientFor } from "../registries";
import { shortDigest } from "../table";

export interface RetentionOptions {
  readonly stack: string;
  readonly keep: number;
  readonly dryRun: boolean;
  readonly images?: readonly string[];
}

/** Registry requests in flight at once per repository. */
const CONCURRENCY = 8;

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/**
 * `slipway retention --stack <stack> --keep N [--dry-run]`: deletes old per-build tags from
 * the stack's repositories, keeping releases, `latest`, `dev`, the build cache, the newest
 * N of each per-build kind, and every digest any ledger or stack file references.
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
  const repositories = [
    ...new Set(
      selected.map((image) =>
        image.kind === "pin" && image.pin.repository !== undefined
          ? image.pin.repository
          : repositoryFor(config.registry, image.name),
      ),
    ),
  ];

  const plans: RetentionPlan[] = [];
  const failures: string[] = [];
  let unreachable = false;
  for (const repository of repositories) {
    const slash = repository.indexOf("/");
    const server = repository.slice(0, slash);
    const repoPath = repository.slice(slash + 1);
    const client = clientFor(run, server, [config.registry]);
    const limit = pLimit(CONCURRENCY);
    try {
      const resolved = await Promise.all(
        (await client.tags(repoPath)).map((tag) =>
          limit(async () => ({ tag, digest: await client.resolve(repoPath, tag) })),
        ),
      );
      const tags: TaggedDigest[] = resolved.flatMap((item) =>
        item.digest === undefined ? [] : [{ tag: item.tag, digest: item.digest }],
      );
      const facts = new Map<string, DigestFacts>();
      const unique = [...new Set(tags.map((item) => item.digest))];
      const descriptions = await Promise.all(
        unique.map((digest) => limit(() => client.describe(repoPath, digest, { created: true }))),
      );
      unique.forEach((digest, index) => {
        const description = descriptions[index];
        facts.set(digest, {
          ...(description?.created === undefined ? {} : { created: description.created }),
          children: description?.children ?? [],
        });
      });
      const plan = planRetention({
        repository,
        tags,
        facts,
        keep: options.keep,
        protectedDigests: protectedSet,
      });
      if (!options.dryRun) {
        for (const entry of plan.deleted) {
          await client.delete(repoPath, entry.digest);
          run.progress(`deleted ${repository}@${entry.digest} (${entry.tags.join(", ")})`);
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
      `${plan.repository} (keep ${options.keep} of each per-build tag kind):`,
      ...plan.kept.map((tag) => `  keep    ${tag.tag}  ${shortDigest(tag.digest)}  ${tag.reason}`),
      ...plan.deleted.map(
        (entry) =>
          `  ${options.dryRun ? "would delete" : "deleted"}  ${entry.digest}  ${entry.tags.join(", ")}`,
      ),
    ];
    if (plan.kept.length === 0 && plan.deleted.length === 0) {
      lines.push("  no tags");
    }
    return lines.join("\n");
  });
  const manifests = plans.reduce((sum, plan) => sum + plan.deleted.length, 0);
  const tags = plans.reduce(
    (sum, plan) => sum + plan.deleted.reduce((count, entry) => count + entry.tags.length, 0),
    0,
  );
  const summary = `${verb} ${plural(manifests, "manifest")} (${plural(tags, "tag")}) in ${plural(plans.length, "repository").replace("repositorys", "repositories")}${options.dryRun ? "; nothing was deleted (--dry-run)" : ""}`;
  run.result([...sections, summary].join("\n"), {
    stack: options.stack,
    keep: options.keep,
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
