import * as command from "@pulumi/command";
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { ownerOverrideProblems } from "../../src/config";
import {
  apiRoot,
  branchRules,
  childNames,
  effectiveBaseUrl,
  EnvironmentSettingsError,
  policyKey,
  PRUNE_ENV,
  PRUNE_SCRIPT,
  pruneEnvironment,
  resolveReviewers,
  settingsProblems,
  type ReviewerIds,
} from "../../src/github";

/**
 * Inputs of a DeploymentEnvironment. The fields that name child resources, are looked up by
 * name, or are checked against GitHub's limits before any API call are plain values; the
 * values of secrets and variables may be Outputs.
 */
export interface DeploymentEnvironmentArgs {
  /** User or organisation that owns the repository; configures the GitHub provider, and team slugs are looked up in it. */
  owner: string;
  /**
   * API base URL for the component's own provider: GitHub Enterprise Server's `https://<host>/`
   * (requests go to `<host>/api/v3/`). GITHUB_BASE_URL, else GitHub's API, when absent. Not
   * with a provider in `opts`.
   */
  baseUrl?: string;
  /** Token for the component's own provider; always handled as a secret. GITHUB_TOKEN when absent. Not with a provider in `opts`. */
  token?: pulumi.Input<string>;
  /** Repository name without the owner, e.g. `web`. */
  repository: string;
  /** Environment name as workflows write it in `environment:`, e.g. `production`. */
  environment: string;
  /** Logins of required reviewers; resolved to user ids through GitHub. At most 6 together with reviewerTeams. */
  reviewerUsers?: string[];
  /** Slugs of teams in `owner` whose members may approve; resolved to team ids through GitHub. */
  reviewerTeams?: string[];
  /** Minutes a deployment waits before it may start, 0 to 43200 (30 days); 0 by default. */
  waitTimer?: number;
  /** Bar whoever started a deployment from approving it; false by default. */
  preventSelfReview?: boolean;
  /** Whether repository admins may skip these rules. Required: GitHub's default is true. */
  canAdminsBypass: boolean;
  /** Only branches with branch protection may deploy; excludes branchPatterns and tagPatterns. */
  protectedBranches?: boolean;
  /** Branch name patterns allowed to deploy, e.g. `main`, `release/*`. */
  branchPatterns?: string[];
  /** Tag name patterns allowed to deploy, e.g. `v*`. */
  tagPatterns?: string[];
  /** Environment secrets by name; every value must be a Pulumi secret, never a plain string. */
  secrets?: Record<string, pulumi.Input<string>>;
  /** Environment variables by name; plain values. */
  variables?: Record<string, pulumi.Input<string>>;
}

/**
 * A GitHub deployment environment managed as code: required reviewers, wait timer, self-review
 * and admin-bypass rules, which refs may deploy, and the environment's secrets and variables.
 * Workflow jobs that name the environment wait for these rules and see these secrets.
 *
 * Arguments are checked before anything is registered; reviewer names are resolved to ids
 * before the environment is written, and an unknown one stops everything with a message that
 * names it.
 */
export class DeploymentEnvironment extends pulumi.ComponentResource {
  /** The environment's name, once GitHub has it. */
  public readonly environment: pulumi.Output<string>;
  /** `owner/repository`. */
  public readonly repository: pulumi.Output<string>;
  /** Required reviewers as GitHub ids. */
  public readonly reviewers: pulumi.Output<ReviewerIds>;
  /** Branch and tag patterns allowed to deploy, as `branch:<pattern>` / `tag:<pattern>`. */
  public readonly deploymentPolicies: pulumi.Output<string[]>;
  /** Names of the environment's secrets (never their values). */
  public readonly secretNames: pulumi.Output<string[]>;
  /** Names of the environment's variables. */
  public readonly variableNames: pulumi.Output<string[]>;

  constructor(
    name: string,
    args: DeploymentEnvironmentArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    const users = args.reviewerUsers ?? [];
    const teams = args.reviewerTeams ?? [];
    const secrets = args.secrets ?? {};
    const variables = args.variables ?? {};
    const rules = branchRules(
      args.protectedBranches ?? false,
      args.branchPatterns ?? [],
      args.tagPatterns ?? [],
    );
    const problems = settingsProblems({
      environment: args.environment,
      reviewerUsers: users,
      reviewerTeams: teams,
      waitTimer: args.waitTimer ?? 0,
      protectedBranches: args.protectedBranches ?? false,
      branchPatterns: args.branchPatterns ?? [],
      tagPatterns: args.tagPatterns ?? [],
      secrets: Object.fromEntries(
        Object.entries(secrets).map(([key, value]) => [key, { plainText: isPlain(value) }]),
      ),
      variableNames: Object.keys(variables),
    });
    const given = givenProvider(opts);
    if (given !== undefined && (args.baseUrl !== undefined || args.token !== undefined)) {
      problems.push(
        "baseUrl/token: given together with a github provider in opts; configure that provider instead",
      );
    }
    if (given === undefined) {
      // The provider lets these variables override its owner; refuse rather than be redirected.
      problems.push(
        ...ownerOverrideProblems(args.owner, process.env).map((problem) => `owner: ${problem}`),
      );
    }
    if (problems.length > 0) {
      throw new EnvironmentSettingsError(name, problems);
    }

    super("slipway:github:DeploymentEnvironment", name, {}, opts);

    // The caller's provider (opts.provider / opts.providers), else our own,
    // pinned to the owner and configured with the base URL and token from the arguments.
    const token =
      args.token === undefined
        ? process.env.GITHUB_TOKEN === undefined || process.env.GITHUB_TOKEN === ""
          ? undefined
          : pulumi.secret(process.env.GITHUB_TOKEN)
        : pulumi.secret(args.token);
    const baseUrl = effectiveBaseUrl(args.baseUrl, process.env);
    const provider =
      given ??
      new github.Provider(
        childNames.provider(name),
        {
          owner: args.owner,
          baseUrl,
          ...(token === undefined ? {} : { token }),
        },
        { parent: this },
      );
    const children = { parent: this, provider };

    const reviewers = pulumi.output(
      resolveReviewers(
        users,
        teams,
        {
          user: async (login) => (await github.getUser({ username: login }, children)).id,
          team: async (slug) => (await github.getTeam({ slug, summaryOnly: true }, children)).id,
        },
        {
          owner: args.owner,
          repository: args.repository,
          environment: args.environment,
          ...(given === undefined ? { baseUrl, tokenSet: token !== undefined } : {}),
        },
      ),
    );

    // Before the environment is written (and so before it can stop allowing custom
    // policies), delete every deployment policy GitHub holds that this stack no longer
    // declares; see src/github/prune.ts. Runs only after every reviewer resolved.
    const keep = rules.policies.map(policyKey);
    const prune = new command.local.Command(
      childNames.prune(name),
      {
        create: PRUNE_SCRIPT,
        interpreter: ["node", "-e"],
        environment: pulumi
          .all([
            given === undefined ? baseUrl : given.baseUrl,
            given === undefined ? token : given.token,
            reviewers,
          ])
          .apply(([api, secretToken]) => ({
            ...pruneEnvironment({
              api: apiRoot(api ?? baseUrl),
              owner: args.owner,
              repository: args.repository,
              environment: args.environment,
              keep: rules.policies,
            }),
            ...(secretToken === undefined || secretToken === ""
              ? {}
              : { [PRUNE_ENV.token]: secretToken }),
          })),
        triggers: [args.repository, args.environment, ...keep],
        addPreviousOutputInEnv: false,
        logging: "stdoutAndStderr",
      },
      { parent: this },
    );

    const environment = new github.RepositoryEnvironment(
      childNames.environment(name),
      {
        repository: args.repository,
        environment: args.environment,
        // Waits for every name to resolve: an unknown reviewer stops the environment and
        // everything that hangs off it.
        reviewers: reviewers.apply((ids) =>
          ids.users.length + ids.teams.length === 0 ? [] : [{ users: ids.users, teams: ids.teams }],
        ),
        waitTimer: args.waitTimer ?? 0,
        preventSelfReview: args.preventSelfReview ?? false,
        canAdminsBypass: args.canAdminsBypass,
        ...(rules.deploymentBranchPolicy === undefined
          ? {}
          : { deploymentBranchPolicy: rules.deploymentBranchPolicy }),
      },
      { ...children, dependsOn: [prune] },
    );

    /** What every child below belongs to: the repository's environment. */
    const scope = { repository: args.repository, environment: environment.environment };
    for (const policy of rules.policies) {
      new github.RepositoryEnvironmentDeploymentPolicy(
        childNames.policy(name, policy),
        {
          ...scope,
          ...(policy.kind === "branch"
            ? { branchPattern: policy.pattern }
            : { tagPattern: policy.pattern }),
        },
        // Never deleted by the provider: GitHub drops policies itself when custom policies
        // are turned off (its delete would get 404), and the prune above removes the others.
        { ...children, retainOnDelete: true },
      );
    }

    for (const [secretName, value] of Object.entries(secrets)) {
      new github.ActionsEnvironmentSecret(
        childNames.secret(name, secretName),
        { ...scope, secretName, value: pulumi.secret(value) },
        children,
      );
    }

    for (const [variableName, value] of Object.entries(variables)) {
      new github.ActionsEnvironmentVariable(
        childNames.variable(name, variableName),
        { ...scope, variableName, value },
        children,
      );
    }

    this.environment = environment.environment;
    this.repository = pulumi.output(`${args.owner}/${args.repository}`);
    this.reviewers = reviewers;
    this.deploymentPolicies = pulumi.output(
      rules.policies.map((policy) => `${policy.kind}:${policy.pattern}`),
    );
    this.secretNames = pulumi.output(Object.keys(secrets));
    this.variableNames = pulumi.output(Object.keys(variables));

    this.registerOutputs({
      environment: this.environment,
      repository: this.repository,
      reviewers: this.reviewers,
      deploymentPolicies: this.deploymentPolicies,
      secretNames: this.secretNames,
      variableNames: this.variableNames,
    });
  }
}

/** A github provider the caller passed in `opts.provider` or `opts.providers`. */
function givenProvider(
  opts: pulumi.ComponentResourceOptions | undefined,
): github.Provider | undefined {
  const all = [
    ...(opts?.provider === undefined ? [] : [opts.provider]),
    ...(Array.isArray(opts?.providers) ? opts.providers : Object.values(opts?.providers ?? {})),
  ];
  return all.find((provider): provider is github.Provider => github.Provider.isInstance(provider));
}

/** A plain string where a secret belongs; Outputs are made secret whatever they were. */
function isPlain(value: pulumi.Input<string>): boolean {
  return typeof value === "string";
}
