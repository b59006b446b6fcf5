import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { markSecrets, Secret, validateConfig, type SlipwayConfig } from "../../../src/config";
import { secrecy } from "../../helpers/mocks";
import { sourceFromStackFile } from "../../helpers/stack-files";

/** One `newResource` call, with the provider reference the engine received. */
interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly provider: string;
}

interface Call {
  readonly token: string;
  readonly inputs: Record<string, any>;
  readonly provider: string;
}

const USERS: Record<string, string> = { alice: "1001", bob: "1002", dana: "1004" };
const TEAMS: Record<string, string> = { platform: "2001", sre: "2002" };

const recorded: Recorded[] = [];
const calls: Call[] = [];

const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
/** How the engine receives a secret input. */
const secret = (value: unknown) => ({ ...SECRET_SIG, value });

const COMPONENT = "slipway:github:DeploymentEnvironment";
const PROVIDER_URN = (stack: string, name: string) =>
  `urn:pulumi:${stack}::slipway::${COMPONENT}$pulumi:providers:github::${name}-provider`;

/** A failed invoke as the engine reports it: a gRPC error whose details wrap the provider's. */
function engineError(token: string, providerError: string): Error {
  const details =
    `invocation of ${token} returned an error: invoking ${token}: 1 error occurred:\n` +
    `\t* ${providerError}`;
  return Object.assign(new Error(details), { details });
}

async function useMocks(stack: string): Promise<void> {
  recorded.length = 0;
  calls.length = 0;
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        recorded.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, any>,
          provider: args.provider ?? "",
        });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        const inputs = args.inputs as Record<string, any>;
        calls.push({ token: args.token, inputs, provider: args.provider ?? "" });
        if (args.token === "github:index/getUser:getUser") {
          const id = USERS[inputs.username as string];
          if (id === undefined) {
            throw engineError(
              args.token,
              `GET https://api.github.com/users/${inputs.username}: 404 Not Found []`,
            );
          }
          return { id, login: inputs.username };
        }
        if (args.token === "github:index/getTeam:getTeam") {
          const id = TEAMS[inputs.slug as string];
          if (id === undefined) {
            throw engineError(
              args.token,
              `GET https://api.github.com/orgs/acme/teams/${inputs.slug}: 404 Not Found []`,
            );
          }
          return { id, slug: inputs.slug, name: inputs.slug };
        }
        throw new Error(`unexpected call ${args.token}`);
      },
    },
    "slipway",
    stack,
    false,
  );
}

/** Waits until every registration and invoke queued so far has reached the mocks. */
async function settle(): Promise<void> {
  const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as {
    waitForRPCs(): Promise<void>;
  };
  await settings.waitForRPCs();
}

function stackConfig(stack: string): SlipwayConfig {
  return validateConfig(stack, markSecrets(sourceFromStackFile(stack)));
}

function byName(): Record<string, Omit<Recorded, "name">> {
  return Object.fromEntries(recorded.map(({ name, ...rest }) => [name, rest]));
}

/** The error an Output ends with. */
function rejectionOf(output: pulumi.Output<unknown>): Promise<Error> {
  return (output as unknown as { promise(): Promise<unknown> }).promise().then(
    () => assert.fail("expected the output to fail"),
    (error: Error) => error,
  );
}

describe("DeploymentEnvironment", () => {
  const VARIABLES = ["GITHUB_TOKEN", "GITHUB_BASE_URL", "GITHUB_OWNER", "GITHUB_ORGANIZATION"];
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  before(() => {
    // The provider reads these; the recorded inputs must not depend on the machine.
    for (const name of VARIABLES) delete process.env[name];
  });
  after(() => {
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  describe("for the prod stack", () => {
    before(async () => {
      await useMocks("prod");
      const { deploymentEnvironment } = await import("../../../infra/github");
      const component = deploymentEnvironment("github", stackConfig("prod"));
      assert.ok(component !== undefined);
      await settle();
    });

    it("declares the environment, its policies, secrets and variables, and nothing else", () => {
      assert.deepEqual(recorded.map((r) => `${r.type} ${r.name}`).sort(), [
        "command:local:Command github-prune-policies",
        "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret github-secret-PULUMI_ACCESS_TOKEN",
        "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret github-secret-SLIPWAY_SSH_KEY",
        "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable github-variable-SLIPWAY_HOSTS",
        "github:index/repositoryEnvironment:RepositoryEnvironment github-environment",
        "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy github-branch-main",
        "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy github-tag-v*",
        "pulumi:providers:github github-provider",
        "slipway:github:DeploymentEnvironment github",
      ]);
    });

    it("configures the provider with the owner from the config", () => {
      assert.deepEqual(byName()["github-provider"]!.inputs, {
        owner: "acme",
        baseUrl: "https://api.github.com/",
      });
    });

    it("resolves reviewer names to ids through the provider, summaries only for teams", () => {
      const provider = `${PROVIDER_URN("prod", "github")}::github-provider-id`;
      assert.deepEqual(
        [...calls].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        [
          {
            token: "github:index/getTeam:getTeam",
            inputs: { slug: "platform", summaryOnly: true },
            provider,
          },
          { token: "github:index/getUser:getUser", inputs: { username: "alice" }, provider },
          { token: "github:index/getUser:getUser", inputs: { username: "bob" }, provider },
        ],
      );
    });

    it("gives the environment its reviewers, wait timer, self-review rule, no admin bypass and custom policies", () => {
      assert.deepEqual(byName()["github-environment"], {
        type: "github:index/repositoryEnvironment:RepositoryEnvironment",
        inputs: {
          repository: "web",
          environment: "production",
          reviewers: [{ users: [1001, 1002], teams: [2001] }],
          waitTimer: 10,
          preventSelfReview: true,
          canAdminsBypass: false,
          deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
        },
        provider: `${PROVIDER_URN("prod", "github")}::github-provider-id`,
      });
    });

    it("allows main and v* tags through one deployment policy each", () => {
      const resources = byName();
      assert.deepEqual(resources["github-branch-main"]!.inputs, {
        repository: "web",
        environment: "production",
        branchPattern: "main",
      });
      assert.deepEqual(resources["github-tag-v*"]!.inputs, {
        repository: "web",
        environment: "production",
        tagPattern: "v*",
      });
    });

    it("sends every secret value to the engine as a secret", () => {
      const resources = byName();
      assert.deepEqual(resources["github-secret-SLIPWAY_SSH_KEY"]!.inputs, {
        repository: "web",
        environment: "production",
        secretName: "SLIPWAY_SSH_KEY",
        value: secret("decrypted slipway:github.secrets.SLIPWAY_SSH_KEY"),
      });
      assert.deepEqual(resources["github-secret-PULUMI_ACCESS_TOKEN"]!.inputs, {
        repository: "web",
        environment: "production",
        secretName: "PULUMI_ACCESS_TOKEN",
        value: secret("decrypted slipway:github.secrets.PULUMI_ACCESS_TOKEN"),
      });
    });

    it("sets the variables as plain values", () => {
      assert.deepEqual(byName()["github-variable-SLIPWAY_HOSTS"]!.inputs, {
        repository: "web",
        environment: "production",
        variableName: "SLIPWAY_HOSTS",
        value: "web-1,web-2",
      });
    });

    it("uses the component's provider for every GitHub resource", () => {
      const provider = `${PROVIDER_URN("prod", "github")}::github-provider-id`;
      const others = recorded.filter((r) => r.type.startsWith("github:"));
      assert.deepEqual(
        others.map((r) => r.provider),
        others.map(() => provider),
      );
    });

    it("parents every child to the component", async () => {
      const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as {
        getMonitor(): { resources: Map<string, unknown> };
      };
      const urns = [...settings.getMonitor().resources.keys()].sort();
      assert.deepEqual(urns, [
        `urn:pulumi:prod::slipway::${COMPONENT}$command:local:Command::github-prune-policies`,
        `urn:pulumi:prod::slipway::${COMPONENT}$github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::github-secret-PULUMI_ACCESS_TOKEN`,
        `urn:pulumi:prod::slipway::${COMPONENT}$github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::github-secret-SLIPWAY_SSH_KEY`,
        `urn:pulumi:prod::slipway::${COMPONENT}$github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable::github-variable-SLIPWAY_HOSTS`,
        `urn:pulumi:prod::slipway::${COMPONENT}$github:index/repositoryEnvironment:RepositoryEnvironment::github-environment`,
        `urn:pulumi:prod::slipway::${COMPONENT}$github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy::github-branch-main`,
        `urn:pulumi:prod::slipway::${COMPONENT}$github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy::github-tag-v*`,
        `urn:pulumi:prod::slipway::${COMPONENT}$pulumi:providers:github::github-provider`,
        `urn:pulumi:prod::slipway::${COMPONENT}::github`,
      ]);
    });
  });

  describe("outputs", () => {
    it("registers what the environment is, never a secret value", async () => {
      await useMocks("prod");
      const { deploymentEnvironment } = await import("../../../infra/github");
      const component = deploymentEnvironment("github", stackConfig("prod"))!;
      const value = <T>(output: pulumi.Output<T>) =>
        (output as unknown as { promise(): Promise<T> }).promise();
      assert.deepEqual(
        {
          environment: await value(component.environment),
          repository: await value(component.repository),
          reviewers: await value(component.reviewers),
          deploymentPolicies: await value(component.deploymentPolicies),
          secretNames: await value(component.secretNames),
          variableNames: await value(component.variableNames),
        },
        {
          environment: "production",
          repository: "acme/web",
          reviewers: { users: [1001, 1002], teams: [2001] },
          deploymentPolicies: ["branch:main", "tag:v*"],
          secretNames: ["SLIPWAY_SSH_KEY", "PULUMI_ACCESS_TOKEN"],
          variableNames: ["SLIPWAY_HOSTS"],
        },
      );
      assert.equal(await pulumi.isSecret(component.secretNames), false);
      await settle();
    });
  });

  describe("for the dev stack", () => {
    before(async () => {
      await useMocks("dev");
      const { deploymentEnvironment } = await import("../../../infra/github");
      deploymentEnvironment("github", stackConfig("dev"));
      await settle();
    });

    it("declares an environment without reviewers that only main may deploy to", () => {
      assert.deepEqual(recorded.map((r) => `${r.type} ${r.name}`).sort(), [
        "command:local:Command github-prune-policies",
        "github:index/repositoryEnvironment:RepositoryEnvironment github-environment",
        "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy github-branch-main",
        "pulumi:providers:github github-provider",
        "slipway:github:DeploymentEnvironment github",
      ]);
      assert.deepEqual(byName()["github-environment"]!.inputs, {
        repository: "web",
        environment: "dev",
        reviewers: [],
        waitTimer: 0,
        preventSelfReview: false,
        // A build stack states GitHub's default instead of leaving it implicit.
        canAdminsBypass: true,
        deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
      });
      assert.deepEqual(calls, []);
    });
  });

  describe("for a stack without a github section", () => {
    it("declares nothing and looks nothing up", async () => {
      await useMocks("local");
      const { deploymentEnvironment } = await import("../../../infra/github");
      const config = stackConfig("local");
      assert.equal(config.github, undefined);
      assert.equal(deploymentEnvironment("github", config), undefined);
      await settle();
      assert.deepEqual(recorded, []);
      assert.deepEqual(calls, []);
    });
  });

  describe("protected branches", () => {
    it("sets protectedBranches and no custom policy", async () => {
      await useMocks("prod");
      const { DeploymentEnvironment } = await import("../../../infra/github");
      new DeploymentEnvironment("gh", {
        owner: "acme",
        repository: "web",
        environment: "staging",
        canAdminsBypass: false,
        protectedBranches: true,
      });
      await settle();
      assert.deepEqual(recorded.map((r) => `${r.type} ${r.name}`).sort(), [
        "command:local:Command gh-prune-policies",
        "github:index/repositoryEnvironment:RepositoryEnvironment gh-environment",
        "pulumi:providers:github gh-provider",
        "slipway:github:DeploymentEnvironment gh",
      ]);
      assert.deepEqual(byName()["gh-environment"]!.inputs, {
        repository: "web",
        environment: "staging",
        reviewers: [],
        waitTimer: 0,
        preventSelfReview: false,
        canAdminsBypass: false,
        deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false },
      });
    });
  });

  describe("unknown reviewers", () => {
    // The failed lookup fails the environment's registration, which fails the program; what
    // hangs off the environment never registers. Reset the runtime so those waiting
    // registrations do not count as leaked promises of the test process.
    after(() => useMocks("prod"));

    it("stops before the environment is written, naming every unknown user and team", async () => {
      await useMocks("prod");
      const { DeploymentEnvironment } = await import("../../../infra/github");
      const component = new DeploymentEnvironment("gh", {
        owner: "acme",
        repository: "web",
        environment: "production",
        reviewerUsers: ["alice", "carol"],
        reviewerTeams: ["platform", "ops"],
        canAdminsBypass: false,
        branchPatterns: ["main"],
        secrets: { TOKEN: pulumi.secret("s3cret") },
        variables: { HOSTS: "web-1" },
      });
      const error = await rejectionOf(component.reviewers);
      assert.equal(error.name, "ReviewerError");
      assert.equal(
        error.message,
        'cannot set the required reviewers of environment "production" in acme/web; nothing was changed:\n' +
          '  user "carol": no such GitHub user (GET https://api.github.com/users/carol: 404 Not Found [])\n' +
          '  team "ops": no such team in acme, or the token cannot read it (GET https://api.github.com/orgs/acme/teams/ops: 404 Not Found [])',
      );
      for (let i = 0; i < 20; i++) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.deepEqual(recorded.map((r) => `${r.type} ${r.name}`).sort(), [
        "pulumi:providers:github gh-provider",
        "slipway:github:DeploymentEnvironment gh",
      ]);
    });
  });

  describe("bad arguments", () => {
    const valid = {
      owner: "acme",
      repository: "web",
      environment: "production",
      canAdminsBypass: false,
    };

    async function refusal(args: Record<string, unknown>): Promise<string> {
      await useMocks("prod");
      const { DeploymentEnvironment } = await import("../../../infra/github");
      try {
        new DeploymentEnvironment("gh", { ...valid, ...args });
      } catch (error) {
        await settle();
        assert.deepEqual(recorded, [], "nothing may be registered");
        assert.deepEqual(calls, [], "nothing may be looked up");
        assert.equal((error as Error).name, "EnvironmentSettingsError");
        return (error as Error).message;
      }
      return assert.fail("expected the arguments to be refused");
    }

    it("refuses more than 6 reviewers", async () => {
      assert.equal(
        await refusal({
          reviewerUsers: ["a", "b", "c", "d"],
          reviewerTeams: ["t1", "t2", "t3"],
        }),
        'DeploymentEnvironment "gh" has 1 problem; nothing was changed:\n' +
          "  reviewers: 7 given; GitHub allows at most 6 (users and teams together) per environment",
      );
    });

    it("refuses a wait timer out of range", async () => {
      assert.equal(
        await refusal({ waitTimer: 43201 }),
        'DeploymentEnvironment "gh" has 1 problem; nothing was changed:\n' +
          "  waitTimer: 43201 is not a whole number of minutes between 0 and 43200 (30 days)",
      );
      assert.equal(
        await refusal({ waitTimer: 2.5 }),
        'DeploymentEnvironment "gh" has 1 problem; nothing was changed:\n' +
          "  waitTimer: 2.5 is not a whole number of minutes between 0 and 43200 (30 days)",
      );
    });

    it("refuses a secret given in plain text", async () => {
      assert.equal(
        await refusal({ secrets: { SLIPWAY_SSH_KEY: "-----BEGIN OPENSSH PRIVATE KEY-----" } }),
        'DeploymentEnvironment "gh" has 1 problem; nothing was changed:\n' +
          "  secrets.SLIPWAY_SSH_KEY: is plain text; pass a Pulumi secret (pulumi.secret(...) or a secret config value)",
      );
    });

    it("refuses branch and tag patterns GitHub rejects", async () => {
      assert.equal(
        await refusal({ branchPatterns: ["main", "feature..x"], tagPatterns: ["v*", "v*"] }),
        'DeploymentEnvironment "gh" has 2 problems; nothing was changed:\n' +
          `  branchPatterns[1]: "feature..x" is not a valid ref pattern (no spaces, ~ ^ : \\, '..', '@{' or '//')\n` +
          '  tagPatterns[1]: "v*" is listed twice',
      );
    });

    it("refuses protected branches together with patterns", async () => {
      assert.equal(
        await refusal({ protectedBranches: true, branchPatterns: ["main"] }),
        'DeploymentEnvironment "gh" has 1 problem; nothing was changed:\n' +
          "  protectedBranches: set together with branch or tag patterns; GitHub takes one or the other",
      );
    });

    it("refuses names GitHub does not accept, all problems at once", async () => {
      assert.equal(
        await refusal({
          reviewerUsers: ["alice", "alice"],
          secrets: { GITHUB_TOKEN: pulumi.secret("x") },
          variables: { "1HOSTS": "web-1" },
        }),
        'DeploymentEnvironment "gh" has 3 problems; nothing was changed:\n' +
          '  reviewerUsers[1]: "alice" is listed twice\n' +
          "  secrets.GITHUB_TOKEN: is not a name GitHub accepts: letters, digits and _, not starting with a digit or GITHUB_\n" +
          "  variables.1HOSTS: is not a name GitHub accepts: letters, digits and _, not starting with a digit or GITHUB_",
      );
    });
  });

  describe("config that never reaches GitHub", () => {
    it("a plain-text secret in slipway:github is a config error", () => {
      const source = sourceFromStackFile("prod");
      const raw = markSecrets(source) as Record<string, any>;
      raw.github = { ...raw.github, secrets: { PULUMI_ACCESS_TOKEN: "pul-plain" } };
      assert.throws(
        () => validateConfig("prod", raw),
        (error: Error) =>
          error.message ===
          'config of stack "prod" has 1 problem; nothing was changed:\n' +
            "  slipway:github.secrets.PULUMI_ACCESS_TOKEN: must be a secret, not plain text; set it with: " +
            "pulumi config set --secret --path 'slipway:github.secrets.PULUMI_ACCESS_TOKEN' <value>",
      );
    });
  });

  describe("the provider", () => {
    const valid = {
      owner: "acme",
      repository: "web",
      environment: "production",
      canAdminsBypass: false,
      reviewerUsers: ["alice"],
    };

    it("takes the base URL and the token (as a secret) from slipway:github", async () => {
      await useMocks("prod");
      const { deploymentEnvironment } = await import("../../../infra/github");
      const config = stackConfig("prod");
      deploymentEnvironment("github", {
        ...config,
        github: {
          ...config.github!,
          baseUrl: "https://github.example.com/",
          token: new Secret("ghp_from_config"),
        },
      });
      await settle();
      assert.deepEqual(byName()["github-provider"]!.inputs, {
        owner: "acme",
        baseUrl: "https://github.example.com/",
        token: secret("ghp_from_config"),
      });
      // The prune talks to the same API, GitHub Enterprise Server's /api/v3/ root.
      const prune = byName()["github-prune-policies"]!.inputs as { environment: unknown };
      assert.deepEqual(
        (secrecy(prune.environment) as { secret: Record<string, string> }).secret
          .SLIPWAY_GITHUB_API,
        "https://github.example.com/api/v3/",
      );
    });

    it("takes GITHUB_TOKEN and GITHUB_BASE_URL when the config has none, the token as a secret", async () => {
      process.env.GITHUB_TOKEN = "ghp_from_env";
      process.env.GITHUB_BASE_URL = "https://ghe.example.org/";
      try {
        await useMocks("prod");
        const { DeploymentEnvironment } = await import("../../../infra/github");
        new DeploymentEnvironment("gh", valid);
        await settle();
        assert.deepEqual(byName()["gh-provider"]!.inputs, {
          owner: "acme",
          baseUrl: "https://ghe.example.org/",
          token: secret("ghp_from_env"),
        });
      } finally {
        delete process.env.GITHUB_TOKEN;
        delete process.env.GITHUB_BASE_URL;
      }
    });

    it("uses a provider passed in opts for every resource and look-up, and makes none of its own", async () => {
      await useMocks("prod");
      const github = await import("@pulumi/github");
      const { DeploymentEnvironment } = await import("../../../infra/github");
      const given = new github.Provider("enterprise", {
        owner: "acme",
        baseUrl: "https://github.example.com/",
      });
      new DeploymentEnvironment("gh", { ...valid, branchPatterns: ["main"] }, { provider: given });
      await settle();
      const givenRef =
        "urn:pulumi:prod::slipway::pulumi:providers:github::enterprise::enterprise-id";
      assert.deepEqual(recorded.map((r) => `${r.type} ${r.name}`).sort(), [
        "command:local:Command gh-prune-policies",
        "github:index/repositoryEnvironment:RepositoryEnvironment gh-environment",
        "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy gh-branch-main",
        "pulumi:providers:github enterprise",
        "slipway:github:DeploymentEnvironment gh",
      ]);
      const githubResources = recorded.filter((r) => r.type.startsWith("github:"));
      assert.deepEqual(
        githubResources.map((r) => r.provider),
        githubResources.map(() => givenRef),
      );
      assert.deepEqual(
        calls.map((call) => call.provider),
        [givenRef],
      );
    });

    it("takes opts.providers too", async () => {
      await useMocks("prod");
      const github = await import("@pulumi/github");
      const { DeploymentEnvironment } = await import("../../../infra/github");
      const given = new github.Provider("enterprise", { owner: "acme" });
      new DeploymentEnvironment("gh", valid, { providers: { github: given } });
      await settle();
      assert.equal(
        recorded
          .filter((r) => r.type === "pulumi:providers:github")
          .map((r) => r.name)
          .join(),
        "enterprise",
      );
    });

    it("refuses baseUrl or token together with a provider in opts", async () => {
      await useMocks("prod");
      const github = await import("@pulumi/github");
      const { DeploymentEnvironment } = await import("../../../infra/github");
      const given = new github.Provider("enterprise", { owner: "acme" });
      assert.throws(
        () =>
          new DeploymentEnvironment(
            "gh",
            { ...valid, baseUrl: "https://github.example.com/" },
            { provider: given },
          ),
        (error: Error) =>
          pulumi.RunError.isInstance(error) &&
          error.message ===
            'DeploymentEnvironment "gh" has 1 problem; nothing was changed:\n' +
              "  baseUrl/token: given together with a github provider in opts; configure that provider instead",
      );
    });

    it("refuses to be redirected by GITHUB_OWNER or GITHUB_ORGANIZATION", async () => {
      process.env.GITHUB_ORGANIZATION = "other-org";
      try {
        await useMocks("prod");
        const { DeploymentEnvironment } = await import("../../../infra/github");
        assert.throws(
          () => new DeploymentEnvironment("gh", valid),
          (error: Error) =>
            pulumi.RunError.isInstance(error) &&
            error.message ===
              'DeploymentEnvironment "gh" has 1 problem; nothing was changed:\n' +
                '  owner: is "acme", but GITHUB_ORGANIZATION="other-org" is set and the GitHub provider would send every ' +
                'request to "other-org"; unset GITHUB_ORGANIZATION or make it match',
        );
        await settle();
        assert.deepEqual(recorded, [], "nothing is registered");
      } finally {
        delete process.env.GITHUB_ORGANIZATION;
      }
    });
  });
});
