import { RunError } from "@pulumi/pulumi/errors";
import {
  branchPatternProblem,
  environmentNameProblem,
  githubName,
  MAX_REVIEWERS,
  MAX_WAIT_TIMER_MINUTES,
  type Role,
} from "../config";

/** Which kind of ref a deployment policy matches. */
type PolicyKind = "branch" | "tag";

/** One `RepositoryEnvironmentDeploymentPolicy`: a branch or tag name pattern. */
export interface DeploymentPolicy {
  readonly kind: PolicyKind;
  readonly pattern: string;
}

/** What the environment's `deploymentBranchPolicy` and its policies should be. */
interface BranchRules {
  /** Absent: every branch and tag may deploy. */
  readonly deploymentBranchPolicy?: {
    readonly protectedBranches: boolean;
    readonly customBranchPolicies: boolean;
  };
  /** Custom branch and tag patterns, one resource each. */
  readonly policies: readonly DeploymentPolicy[];
}

/**
 * Maps the refs allowed to deploy to GitHub's two switches. GitHub takes either protected
 * branches or custom patterns; with neither, every ref may deploy.
 */
export function branchRules(
  protectedBranches: boolean,
  branchPatterns: readonly string[],
  tagPatterns: readonly string[],
): BranchRules {
  const policies: DeploymentPolicy[] = [
    ...branchPatterns.map((pattern) => ({ kind: "branch" as const, pattern })),
    ...tagPatterns.map((pattern) => ({ kind: "tag" as const, pattern })),
  ];
  if (protectedBranches) {
    return {
      deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false },
      policies: [],
    };
  }
  if (policies.length === 0) {
    return { policies };
  }
  return {
    deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
    policies,
  };
}

/**
 * Whether admins may skip the environment's rules. A promote stack always says false (GitHub's
 * default is true, which would let an admin deploy to production without approval); a build
 * stack keeps what its config says, or GitHub's default, stated explicitly.
 */
export function adminsBypass(role: Role, configured: boolean | undefined): boolean {
  switch (role) {
    case "promote":
      return false;
    case "build":
      return configured ?? true;
    default: {
      const never: never = role;
      return never;
    }
  }
}

/** The plain parts of an environment's settings, as the component checks them. */
export interface EnvironmentSettings {
  /** The environment's name, as workflows write it. */
  readonly environment: string;
  readonly reviewerUsers: readonly string[];
  readonly reviewerTeams: readonly string[];
  readonly waitTimer: number;
  readonly protectedBranches: boolean;
  readonly branchPatterns: readonly string[];
  readonly tagPatterns: readonly string[];
  /** Secret names, each with whether its value came as plain text. */
  readonly secrets: Readonly<Record<string, { readonly plainText: boolean }>>;
  readonly variableNames: readonly string[];
}

function nameProblem(name: string): string | undefined {
  return githubName.test(name) && !/^GITHUB_/i.test(name)
    ? undefined
    : "is not a name GitHub accepts: letters, digits and _, not starting with a digit or GITHUB_";
}

/**
 * Every reason GitHub (or Slipway) would refuse these settings, found before any API call.
 * Stack config is checked the same way by `validateConfig`; this guards the component's own
 * arguments with the same limits and pattern rules.
 */
export function settingsProblems(settings: EnvironmentSettings): string[] {
  const problems: string[] = [];
  const environmentProblem = environmentNameProblem(settings.environment);
  if (environmentProblem !== undefined) {
    problems.push(`environment: ${environmentProblem}`);
  }
  const count = settings.reviewerUsers.length + settings.reviewerTeams.length;
  if (count > MAX_REVIEWERS) {
    problems.push(
      `reviewers: ${count} given; GitHub allows at most ${MAX_REVIEWERS} (users and teams together) per environment`,
    );
  }
  for (const [field, names] of [
    ["reviewerUsers", settings.reviewerUsers],
    ["reviewerTeams", settings.reviewerTeams],
  ] as const) {
    names.forEach((name, index) => {
      if (name.trim() === "") {
        problems.push(`${field}[${index}]: must not be empty`);
      } else if (names.indexOf(name) !== index) {
        problems.push(`${field}[${index}]: ${JSON.stringify(name)} is listed twice`);
      }
    });
  }
  if (
    !Number.isInteger(settings.waitTimer) ||
    settings.waitTimer < 0 ||
    settings.waitTimer > MAX_WAIT_TIMER_MINUTES
  ) {
    problems.push(
      `waitTimer: ${settings.waitTimer} is not a whole number of minutes between 0 and ${MAX_WAIT_TIMER_MINUTES} (30 days)`,
    );
  }
  if (
    settings.protectedBranches &&
    (settings.branchPatterns.length > 0 || settings.tagPatterns.length > 0)
  ) {
    problems.push(
      "protectedBranches: set together with branch or tag patterns; GitHub takes one or the other",
    );
  }
  for (const [field, patterns] of [
    ["branchPatterns", settings.branchPatterns],
    ["tagPatterns", settings.tagPatterns],
  ] as const) {
    patterns.forEach((pattern, index) => {
      const problem = branchPatternProblem(pattern);
      if (problem !== undefined) {
        problems.push(`${field}[${index}]: ${problem}`);
      } else if (patterns.indexOf(pattern) !== index) {
        problems.push(`${field}[${index}]: ${JSON.stringify(pattern)} is listed twice`);
      }
    });
  }
  for (const [name, { plainText }] of Object.entries(settings.secrets)) {
    const problem = nameProblem(name);
    if (problem !== undefined) {
      problems.push(`secrets.${name}: ${problem}`);
    }
    if (plainText) {
      problems.push(
        `secrets.${name}: is plain text; pass a Pulumi secret (pulumi.secret(...) or a secret config value)`,
      );
    }
  }
  for (const name of settings.variableNames) {
    const problem = nameProblem(name);
    if (problem !== undefined) {
      problems.push(`variables.${name}: ${problem}`);
    }
  }
  return problems;
}

/** The child resource names of a DeploymentEnvironment called `name`. */
export const childNames = {
  provider: (name: string) => `${name}-provider`,
  environment: (name: string) => `${name}-environment`,
  prune: (name: string) => `${name}-prune-policies`,
  policy: (name: string, policy: DeploymentPolicy) => `${name}-${policy.kind}-${policy.pattern}`,
  secret: (name: string, secretName: string) => `${name}-secret-${secretName}`,
  variable: (name: string, variableName: string) => `${name}-variable-${variableName}`,
} as const;

/**
 * A DeploymentEnvironment's arguments break GitHub's rules; the message lists every problem.
 * A RunError, so the engine prints the message alone.
 */
export class EnvironmentSettingsError extends RunError {
  constructor(
    readonly component: string,
    readonly problems: readonly string[],
  ) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(
      `DeploymentEnvironment ${JSON.stringify(component)} has ${count}; nothing was changed:\n` +
        problems.map((problem) => `  ${problem}`).join("\n"),
    );
    this.name = "EnvironmentSettingsError";
  }
}
