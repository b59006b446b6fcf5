import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import {
  adminsBypass,
  branchRules,
  childNames,
  lookupReason,
  resolveReviewers,
  settingsProblems,
  type EnvironmentSettings,
  type ReviewerLookup,
} from "../../../src/github";

const SCOPE = { owner: "acme", repository: "web", environment: "production" };

const lookup: ReviewerLookup = {
  user: (login) =>
    ({ alice: Promise.resolve("1001"), bob: Promise.resolve("1002") })[login] ??
    Promise.reject(new Error(`GET https://api.github.com/users/${login}: 404 Not Found []`)),
  team: (slug) =>
    slug === "platform"
      ? Promise.resolve("2001")
      : Promise.reject(
          new Error(`GET https://api.github.com/orgs/acme/teams/${slug}: 404 Not Found []`),
        ),
};

describe("branch rules", () => {
  it("custom branch and tag patterns turn on customBranchPolicies, one policy each", () => {
    assert.deepEqual(branchRules(false, ["main", "release/*"], ["v*"]), {
      deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
      policies: [
        { kind: "branch", pattern: "main" },
        { kind: "branch", pattern: "release/*" },
        { kind: "tag", pattern: "v*" },
      ],
    });
  });

  it("protected branches need no policy resources", () => {
    assert.deepEqual(branchRules(true, [], []), {
      deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false },
      policies: [],
    });
  });

  it("no rule at all leaves every ref free to deploy", () => {
    assert.deepEqual(branchRules(false, [], []), { policies: [] });
  });
});

describe("admin bypass", () => {
  it("is always false for a promote stack", () => {
    assert.equal(adminsBypass("promote", undefined), false);
    assert.equal(adminsBypass("promote", false), false);
  });

  it("is what a build stack configures, or GitHub's default true stated explicitly", () => {
    assert.equal(adminsBypass("build", undefined), true);
    assert.equal(adminsBypass("build", false), false);
  });
});

describe("child names", () => {
  it("derive from the component name", () => {
    assert.deepEqual(
      [
        childNames.provider("github"),
        childNames.environment("github"),
        childNames.policy("github", { kind: "branch", pattern: "release/*" }),
        childNames.policy("github", { kind: "tag", pattern: "v*" }),
        childNames.secret("github", "PULUMI_ACCESS_TOKEN"),
        childNames.variable("github", "SLIPWAY_HOSTS"),
      ],
      [
        "github-provider",
        "github-environment",
        "github-branch-release/*",
        "github-tag-v*",
        "github-secret-PULUMI_ACCESS_TOKEN",
        "github-variable-SLIPWAY_HOSTS",
      ],
    );
  });
});

describe("settings problems", () => {
  const fine: EnvironmentSettings = {
    environment: "production",
    reviewerUsers: ["alice", "bob"],
    reviewerTeams: ["platform"],
    waitTimer: 10,
    protectedBranches: false,
    branchPatterns: ["main"],
    tagPatterns: ["v*"],
    secrets: { PULUMI_ACCESS_TOKEN: { plainText: false } },
    variableNames: ["SLIPWAY_HOSTS"],
  };

  it("finds none in a valid production environment, and allows exactly 6 reviewers", () => {
    assert.deepEqual(settingsProblems(fine), []);
    assert.deepEqual(
      settingsProblems({ ...fine, reviewerUsers: ["a", "b", "c", "d", "e"], reviewerTeams: ["t"] }),
      [],
    );
  });

  it("accepts the wait timer's bounds and refuses past them", () => {
    assert.deepEqual(settingsProblems({ ...fine, waitTimer: 0 }), []);
    assert.deepEqual(settingsProblems({ ...fine, waitTimer: 43200 }), []);
    assert.deepEqual(settingsProblems({ ...fine, waitTimer: -1 }), [
      "waitTimer: -1 is not a whole number of minutes between 0 and 43200 (30 days)",
    ]);
  });

  it("refuses an environment name GitHub does not accept, as validation does", () => {
    assert.deepEqual(settingsProblems({ ...fine, environment: "x".repeat(256) }), [
      "environment: has 256 characters; GitHub allows at most 255",
    ]);
    assert.deepEqual(settingsProblems({ ...fine, environment: "prod?" }), [
      'environment: "prod?" is not an environment name GitHub accepts: letters, digits, spaces and . _ - /',
    ]);
  });

  it("refuses empty reviewer names and patterns GitHub rejects", () => {
    assert.deepEqual(
      settingsProblems({
        ...fine,
        reviewerTeams: [" "],
        branchPatterns: ["release/", "feature branch"],
        tagPatterns: ["v[0-9"],
      }),
      [
        "reviewerTeams[0]: must not be empty",
        `branchPatterns[0]: "release/" is not a valid ref pattern (must not start or end with / or end with .lock)`,
        `branchPatterns[1]: "feature branch" is not a valid ref pattern (no spaces, ~ ^ : \\, '..', '@{' or '//')`,
        'tagPatterns[0]: "v[0-9" has unbalanced [ ]',
      ],
    );
  });
});

describe("reviewer resolution", () => {
  it("turns logins and team slugs into numeric ids, in order", async () => {
    assert.deepEqual(await resolveReviewers(["bob", "alice"], ["platform"], lookup, SCOPE), {
      users: [1002, 1001],
      teams: [2001],
    });
  });

  it("looks nothing up for an empty list", async () => {
    const none: ReviewerLookup = {
      user: () => assert.fail("no user lookup expected"),
      team: () => assert.fail("no team lookup expected"),
    };
    assert.deepEqual(await resolveReviewers([], [], none, SCOPE), { users: [], teams: [] });
  });

  it("names every unknown user and team in one error", async () => {
    await assert.rejects(resolveReviewers(["alice", "carol", "eve"], ["ops"], lookup, SCOPE), {
      name: "ReviewerError",
      message:
        'cannot set the required reviewers of environment "production" in acme/web; nothing was changed:\n' +
        '  user "carol": no such GitHub user (GET https://api.github.com/users/carol: 404 Not Found [])\n' +
        '  user "eve": no such GitHub user (GET https://api.github.com/users/eve: 404 Not Found [])\n' +
        '  team "ops": no such team in acme, or the token cannot read it (GET https://api.github.com/orgs/acme/teams/ops: 404 Not Found [])',
    });
  });

  it("refuses an id that is not a number, and a lookup that throws at once", async () => {
    const odd: ReviewerLookup = {
      user: () => Promise.resolve(""),
      team: () => {
        throw new Error("Bad credentials");
      },
    };
    await assert.rejects(resolveReviewers(["alice"], ["platform"], odd, SCOPE), {
      message:
        'cannot set the required reviewers of environment "production" in acme/web; nothing was changed:\n' +
        '  user "alice": GitHub returned no numeric id (got "")\n' +
        '  team "platform": the look-up failed before reaching it (Bad credentials)',
    });
  });

  describe("names the real cause of a failed look-up", () => {
    const failing = (providerError: string): ReviewerLookup => ({
      user: () => Promise.reject(new Error(`1 error occurred:\n\t* ${providerError}`)),
      team: () => Promise.reject(new Error(`1 error occurred:\n\t* ${providerError}`)),
    });
    const scope = {
      ...SCOPE,
      baseUrl: "https://github.example.com/",
      tokenSet: true,
    };
    const reasonOf = async (
      providerError: string,
      at: typeof scope | typeof SCOPE = scope,
      teams: string[] = [],
    ) => {
      try {
        await resolveReviewers(
          teams.length > 0 ? [] : ["carol"],
          teams,
          failing(providerError),
          at,
        );
      } catch (error) {
        assert.ok(pulumi.RunError.isInstance(error), "printed without a stack trace");
        return error.message.split("\n").slice(1);
      }
      return assert.fail("expected the look-up to fail");
    };

    it("404 on the user's own URL: an unknown user", async () => {
      assert.deepEqual(
        await reasonOf("GET https://github.example.com/api/v3/users/carol: 404 Not Found []"),
        [
          '  user "carol": no such GitHub user (GET https://github.example.com/api/v3/users/carol: 404 Not Found [])',
        ],
      );
    });

    it("404 on a team's URL: an unknown team, or one the token cannot read", async () => {
      assert.deepEqual(
        await reasonOf(
          "GET https://github.example.com/api/v3/orgs/acme/teams/ops: 404 Not Found []",
          scope,
          ["ops"],
        ),
        [
          '  team "ops": no such team in acme, or the token cannot read it (GET https://github.example.com/api/v3/orgs/acme/teams/ops: 404 Not Found [])',
        ],
      );
    });

    it("401: the token, and that none is set when none is", async () => {
      assert.deepEqual(
        await reasonOf("GET https://github.example.com/api/v3/users/carol: 401 Bad credentials []"),
        [
          '  user "carol": GitHub refused the token (401); set a valid one in slipway:github.token or GITHUB_TOKEN (GET https://github.example.com/api/v3/users/carol: 401 Bad credentials [])',
        ],
      );
      assert.deepEqual(
        await reasonOf(
          "GET https://github.example.com/api/v3/users/carol: 401 Requires authentication []",
          {
            ...scope,
            tokenSet: false,
          },
        ),
        [
          '  user "carol": GitHub refused the token (401); no token is set: set slipway:github.token (a secret) or GITHUB_TOKEN (GET https://github.example.com/api/v3/users/carol: 401 Requires authentication [])',
        ],
      );
    });

    it("403: what the token may not read", async () => {
      assert.deepEqual(
        await reasonOf(
          "GET https://github.example.com/api/v3/orgs/acme/teams/ops: 403 Resource not accessible by integration []",
          scope,
          ["ops"],
        ),
        [
          '  team "ops": the token may not read this (403); it needs read access to users and read:org in acme (GET https://github.example.com/api/v3/orgs/acme/teams/ops: 403 Resource not accessible by integration [])',
        ],
      );
    });

    it("a connection failure: the API address", async () => {
      assert.deepEqual(
        await reasonOf(
          'Get "https://github.example.com/api/v3/orgs/acme": dial tcp 127.0.0.1:1: connect: connection refused',
        ),
        [
          '  user "carol": cannot reach the GitHub API at https://github.example.com/; check slipway:github.baseUrl (or GITHUB_BASE_URL) and the network (Get "https://github.example.com/api/v3/orgs/acme": dial tcp 127.0.0.1:1: connect: connection refused)',
        ],
      );
    });

    it("a 404 on the owner (the provider reads it first) is not an unknown user", async () => {
      assert.deepEqual(
        await reasonOf("GET https://github.example.com/api/v3/orgs/acme: 404 Not Found []", {
          ...scope,
          tokenSet: false,
        }),
        [
          '  user "carol": the look-up failed before reaching it; no token is set: set slipway:github.token (a secret) or GITHUB_TOKEN (GET https://github.example.com/api/v3/orgs/acme: 404 Not Found [])',
        ],
      );
    });
  });

  it("keeps the provider's own error lines from the engine's wrapping", () => {
    assert.equal(
      lookupReason(
        new Error(
          "invocation of github:index/getUser:getUser returned an error: invoking github:index/getUser:getUser: 1 error occurred:\n" +
            "\t* GET https://api.github.com/users/carol: 404 Not Found []",
        ),
      ),
      "GET https://api.github.com/users/carol: 404 Not Found []",
    );
    assert.equal(lookupReason(new Error("")), "no reason given");
    assert.equal(lookupReason("timeout\nmore"), "timeout");
  });
});

describe("deployment branches in the config", () => {
  it("an empty deploymentBranches section is refused, not read as 'every ref'", async () => {
    const { ConfigError, markSecrets, validateConfig } = await import("../../../src/config");
    const { sourceFromStackFile } = await import("../../helpers/stack-files");
    const raw = markSecrets(sourceFromStackFile("prod")) as Record<string, any>;
    raw.github = { ...raw.github, deploymentBranches: { protectedBranches: false } };
    assert.throws(
      () => validateConfig("prod", raw),
      (error: unknown) =>
        error instanceof ConfigError &&
        JSON.stringify(error.issues) ===
          JSON.stringify([
            {
              path: "slipway:github.deploymentBranches",
              message:
                "lets no branch or tag deploy; list branches or tags, set protectedBranches, or remove deploymentBranches to let every ref deploy",
            },
          ]),
    );
  });
});
