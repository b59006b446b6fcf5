/** `slipway:github`: the stack's GitHub environment, its schema and its checks. */
import { z } from "zod";
import { ENV_NAME_PATTERN, expected, plain, plainScalar, ruled, secret } from "./primitives";
import { asList, asMap, type Add, type RawMap } from "./raw";
import { environmentNameProblem } from "./rules";
import type { Role } from "./role";

/** GitHub allows at most six required reviewers (users and teams together) per environment. */
export const MAX_REVIEWERS = 6;
/** GitHub's wait timer is 0 to 43,200 minutes (30 days). */
export const MAX_WAIT_TIMER_MINUTES = 43200;

const branchPattern = plain.refine((value) => branchPatternProblem(value) === undefined, {
  error: (issue) => `${branchPatternProblem(String(issue.input))}`,
});

/** Why GitHub would refuse a deployment branch or tag pattern, or undefined. */
export function branchPatternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) {
    return "an empty pattern matches nothing";
  }
  if (/[\s~^:\\]|\.\.|@\{|\/\/|\p{Cc}/u.test(pattern)) {
    return `${JSON.stringify(pattern)} is not a valid ref pattern (no spaces, ~ ^ : \\, '..', '@{' or '//')`;
  }
  if (pattern.startsWith("/") || pattern.endsWith("/") || pattern.endsWith(".lock")) {
    return `${JSON.stringify(pattern)} is not a valid ref pattern (must not start or end with / or end with .lock)`;
  }
  if ((pattern.match(/\[/g) ?? []).length !== (pattern.match(/\]/g) ?? []).length) {
    return `${JSON.stringify(pattern)} has unbalanced [ ]`;
  }
  return undefined;
}

/** GitHub's rule for secret and variable names is the environment variable rule. */
export const githubName = ENV_NAME_PATTERN;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

export const githubSchema = z.strictObject({
  owner: plain
    .min(1, "must not be empty")
    .describe(
      "User or organisation that owns the repository; GITHUB_OWNER or GITHUB_ORGANIZATION naming another account is refused.",
    ),
  repository: plain.min(1, "must not be empty").describe("The repository's name."),
  environment: ruled(environmentNameProblem).describe(
    "Environment name, e.g. `production`: 1 to 255 letters, digits, spaces, `. _ - /`. Required, with `owner` and `repository`.",
  ),
  baseUrl: plain
    .refine(isHttpUrl, "must be an http(s) URL, e.g. https://github.example.com/")
    .optional()
    .describe(
      "GitHub API base URL: GitHub Enterprise Server's `https://<host>/` (the provider then calls `<host>/api/v3/`). GITHUB_BASE_URL, else GitHub's own API, when absent.",
    ),
  token: secret
    .optional()
    .describe("Token for the GitHub API (a Pulumi secret); GITHUB_TOKEN when absent."),
  reviewers: z
    .strictObject({
      users: z
        .array(plain.refine((value) => value.trim() !== "", "is empty; give a GitHub login"))
        .default([])
        .describe("GitHub logins."),
      teams: z
        .array(
          plain.refine(
            (value) => value.trim() !== "",
            "is empty; give the team's slug (the last part of its URL), e.g. platform",
          ),
        )
        .default([])
        .describe("Team slugs (the last part of the team's URL), e.g. `platform`."),
    })
    .default({ users: [], teams: [] })
    .describe(
      "Required reviewers by login and by team slug; at most 6 together, resolved to ids before anything is changed.",
    ),
  waitTimer: z
    .number({ error: expected("a number of minutes") })
    .int("must be a whole number of minutes")
    .min(0, `must be between 0 and ${MAX_WAIT_TIMER_MINUTES} minutes (30 days)`)
    .max(
      MAX_WAIT_TIMER_MINUTES,
      `must be between 0 and ${MAX_WAIT_TIMER_MINUTES} minutes (30 days)`,
    )
    .default(0)
    .describe("Minutes to wait before a deployment may proceed."),
  preventSelfReview: z
    .boolean()
    .default(false)
    .describe("The person who triggered a deployment may not approve it."),
  canAdminsBypass: z
    .boolean()
    .optional()
    .describe(
      "Whether admins may bypass the rules (GitHub's default when absent); always false for promote stacks.",
    ),
  deploymentBranches: z
    .strictObject({
      protectedBranches: z
        .boolean()
        .default(false)
        .describe("Only protected branches may deploy (not with `branches` or `tags`)."),
      branches: z.array(branchPattern).default([]).describe("Branch name patterns, e.g. `main`."),
      tags: z.array(branchPattern).default([]).describe("Tag name patterns, e.g. `v*`."),
    })
    .optional()
    .describe(
      "Which refs may deploy: `protectedBranches: true`, or `branches`/`tags` patterns; any ref when absent.",
    ),
  secrets: z
    .record(z.string(), secret)
    .default({})
    .describe("Environment secrets (values are Pulumi secrets)."),
  variables: z.record(z.string(), plainScalar).default({}).describe("Environment variables."),
});

export type GithubConfig = z.output<typeof githubSchema>;

export function githubChecks(github: RawMap, role: Role, add: Add): void {
  const reviewers = asMap(github.reviewers);
  const count = asList(reviewers?.users).length + asList(reviewers?.teams).length;
  if (count > MAX_REVIEWERS) {
    add(
      "github",
      ["reviewers"],
      `lists ${count} reviewers; GitHub allows at most ${MAX_REVIEWERS} (users and teams together) per environment`,
    );
  }
  if (role === "promote" && github.canAdminsBypass === true) {
    add(
      "github",
      ["canAdminsBypass"],
      "must be false in a promote stack: approvals bind admins too",
    );
  }
  const branches = asMap(github.deploymentBranches);
  if (
    branches?.protectedBranches === true &&
    (asList(branches.branches).length > 0 || asList(branches.tags).length > 0)
  ) {
    add(
      "github",
      ["deploymentBranches"],
      "sets protectedBranches together with branch or tag patterns; GitHub takes one or the other",
    );
  }
  if (
    branches !== undefined &&
    branches.protectedBranches !== true &&
    asList(branches.branches).length === 0 &&
    asList(branches.tags).length === 0
  ) {
    add(
      "github",
      ["deploymentBranches"],
      "lets no branch or tag deploy; list branches or tags, set protectedBranches, or remove deploymentBranches to let every ref deploy",
    );
  }
  for (const field of ["secrets", "variables"] as const) {
    for (const name of Object.keys(asMap(github[field]) ?? {})) {
      if (!ENV_NAME_PATTERN.test(name) || /^GITHUB_/i.test(name)) {
        add(
          "github",
          [field, name],
          "is not a name GitHub accepts: letters, digits and _, not starting with a digit or GITHUB_",
        );
      }
    }
  }
}
