/**
 * Switching an environment between branch/tag patterns, protected branches and no
 * restriction in one `pulumi up`, with the real provider's behaviour: GitHub drops the
 * policies itself when custom policies are turned off, and the provider's delete of a policy
 * that is gone fails with 404.
 *
 * The component is run under Pulumi's mocks, and what the engine receives is recorded from
 * the mock monitor: each registration in arrival order with its dependencies and
 * `retainOnDelete`. Those requests are then carried out the way the engine does (a resource
 * after its dependencies; resources no longer declared deleted after all others, unless
 * retained) against a GitHub-shaped API: the prune command runs its real script with the
 * environment the engine got; the environment and policy resources send what the provider
 * sends. The API's request log is the order of operations.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as net from "node:net";
import * as pulumi from "@pulumi/pulumi";
import type { DeploymentEnvironmentArgs } from "../../../infra/github";
import { recordRegistrations, waitForRPCs, type Registration } from "../../helpers/mocks";
import { FakeGitHub } from "./fake-github";

const TOKEN = "ghp_unit_token";
const POLICIES = "/api/v3/repos/acme/web/environments/production/deployment-branch-policies";
const ENVIRONMENT = "/api/v3/repos/acme/web/environments/production";

/** What the engine keeps between updates: each resource's last inputs and options. */
type State = Map<string, Registration & { readonly policyId?: number }>;

/** Runs the component under mocks and returns the registrations the engine received. */
async function declare(args: Partial<DeploymentEnvironmentArgs>): Promise<Registration[]> {
  const registrations: Registration[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (mock) => ({ id: `${mock.name}-id`, state: mock.inputs as object }),
      call: () => ({}),
    },
    "slipway",
    "prod",
    false,
  );
  await recordRegistrations((registration) => registrations.push(registration));
  const { DeploymentEnvironment } = await import("../../../infra/github");
  new DeploymentEnvironment("gh", {
    owner: "acme",
    repository: "web",
    environment: "production",
    canAdminsBypass: false,
    baseUrl: github.baseUrl,
    token: pulumi.secret(TOKEN),
    ...args,
  });
  await waitForRPCs();
  return registrations;
}

/** A loopback port nothing listens on (one the system just handed out and took back). */
async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function runScript(script: string, environment: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "node",
      ["-e", script],
      { env: { PATH: process.env.PATH, ...environment } },
      (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)),
    );
  });
}

/**
 * Carries out one update as the engine would: registrations in order (each after its
 * dependencies), then deletes of what is no longer declared, unless it was retained.
 */
async function update(state: State, registrations: Registration[]): Promise<void> {
  const done = new Set<string>();
  for (const registration of registrations) {
    for (const dependency of registration.dependencies) {
      assert.ok(done.has(dependency), `${registration.name} ran before ${dependency}`);
    }
    const previous = state.get(registration.urn);
    const changed = JSON.stringify(previous?.inputs) !== JSON.stringify(registration.inputs);
    let policyId = previous?.policyId;
    switch (registration.type) {
      case "command:local:Command":
        if (changed) {
          const { create, environment } = registration.inputs as {
            create: string;
            environment: Record<string, string>;
          };
          await runScript(create, environment);
        }
        break;
      case "github:index/repositoryEnvironment:RepositoryEnvironment":
        if (changed) {
          const policy = registration.inputs.deploymentBranchPolicy as
            { protectedBranches: boolean; customBranchPolicies: boolean } | undefined;
          assert.equal(await github.putEnvironment("acme", "web", "production", policy), 200);
        }
        break;
      case "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy":
        if (previous === undefined) {
          const inputs = registration.inputs as { branchPattern?: string; tagPattern?: string };
          assert.equal(
            await github.postPolicy("acme", "web", "production", {
              name: inputs.branchPattern ?? inputs.tagPattern!,
              type: inputs.branchPattern === undefined ? "tag" : "branch",
            }),
            200,
          );
          policyId = github.environments.get("acme/web/production")!.policies.at(-1)!.id;
        }
        break;
      default:
        break;
    }
    state.set(registration.urn, {
      ...registration,
      ...(policyId === undefined ? {} : { policyId }),
    });
    done.add(registration.urn);
  }
  // Deletes come last, dependents first; a retained resource only leaves the state.
  for (const [urn, old] of [...state].reverse()) {
    if (done.has(urn)) {
      continue;
    }
    state.delete(urn);
    if (!old.retainOnDelete && old.policyId !== undefined) {
      const status = await github.deletePolicy("acme", "web", "production", old.policyId);
      assert.equal(status, 204, `deleting ${old.name} failed with ${status}: the update fails`);
    }
  }
}

const github = new FakeGitHub(TOKEN);

/** The API requests of the second update after a first one with `before`. */
async function switchOf(
  before: Partial<DeploymentEnvironmentArgs>,
  after: Partial<DeploymentEnvironmentArgs>,
): Promise<{ requests: string[]; registrations: Registration[] }> {
  github.reset();
  const state: State = new Map();
  await update(state, await declare(before));
  github.log.length = 0;
  const registrations = await declare(after);
  await update(state, registrations);
  return { requests: [...github.log], registrations };
}

describe("deployment policy mode switches in one update", () => {
  before(() => github.start());
  after(() => github.stop());

  it("patterns → protected branches: the policies are deleted before custom policies are turned off", async () => {
    const { requests, registrations } = await switchOf(
      { branchPatterns: ["main"], tagPatterns: ["v*"] },
      { protectedBranches: true },
    );
    assert.deepEqual(requests, [
      `GET ${POLICIES} -> 200`,
      `DELETE ${POLICIES}/1 -> 204`,
      `DELETE ${POLICIES}/2 -> 204`,
      `PUT ${ENVIRONMENT} -> 200`,
    ]);
    assert.deepEqual(github.environments.get("acme/web/production"), {
      protectedBranches: true,
      customBranchPolicies: false,
      restricted: true,
      policies: [],
    });
    const environment = registrations.find((r) => r.name === "gh-environment")!;
    const prune = registrations.find((r) => r.name === "gh-prune-policies")!;
    assert.ok(environment.dependencies.includes(prune.urn), "the environment waits for the prune");
  });

  it("patterns → no restriction: the same order, and every ref may deploy", async () => {
    const { requests } = await switchOf({ branchPatterns: ["main", "release/*"] }, {});
    assert.deepEqual(requests, [
      `GET ${POLICIES} -> 200`,
      `DELETE ${POLICIES}/1 -> 204`,
      `DELETE ${POLICIES}/2 -> 204`,
      `PUT ${ENVIRONMENT} -> 200`,
    ]);
    assert.equal(github.environments.get("acme/web/production")!.restricted, false);
  });

  it("protected branches → patterns: custom policies are turned on before the policies are created", async () => {
    const { requests } = await switchOf({ protectedBranches: true }, { branchPatterns: ["main"] });
    assert.deepEqual(requests, [
      `GET ${POLICIES} -> 404`,
      `PUT ${ENVIRONMENT} -> 200`,
      `POST ${POLICIES} -> 200`,
    ]);
    assert.deepEqual(
      github.environments.get("acme/web/production")!.policies.map((p) => p.name),
      ["main"],
    );
  });

  it("a pattern removed while patterns stay: only that policy is deleted, by the prune", async () => {
    const { requests, registrations } = await switchOf(
      { branchPatterns: ["main", "release/*"] },
      { branchPatterns: ["main"] },
    );
    assert.deepEqual(requests, [`GET ${POLICIES} -> 200`, `DELETE ${POLICIES}/2 -> 204`]);
    assert.deepEqual(
      github.environments.get("acme/web/production")!.policies.map((p) => p.name),
      ["main"],
    );
    const policy = registrations.find((r) => r.name === "gh-branch-main")!;
    assert.equal(policy.retainOnDelete, true, "the provider never deletes a policy");
  });

  it("a policy that is already gone is not an error", async () => {
    github.reset();
    const state: State = new Map();
    await update(state, await declare({ branchPatterns: ["main", "release/*"] }));
    // Someone removed one by hand; the stack still has it in its state.
    assert.equal(await github.deletePolicy("acme", "web", "production", 2), 204);
    github.log.length = 0;
    await update(state, await declare({ protectedBranches: true }));
    assert.deepEqual(github.log, [
      `GET ${POLICIES} -> 200`,
      `DELETE ${POLICIES}/1 -> 204`,
      `PUT ${ENVIRONMENT} -> 200`,
    ]);
  });

  it("without the prune and retainOnDelete, the provider's delete would get 404 after the update", async () => {
    github.reset();
    await github.putEnvironment("acme", "web", "production", {
      protectedBranches: false,
      customBranchPolicies: true,
    });
    await github.postPolicy("acme", "web", "production", { name: "main", type: "branch" });
    const id = github.environments.get("acme/web/production")!.policies[0]!.id;
    await github.putEnvironment("acme", "web", "production", {
      protectedBranches: true,
      customBranchPolicies: false,
    });
    assert.equal(await github.deletePolicy("acme", "web", "production", id), 404);
  });
});

describe("the prune script", () => {
  before(() => github.start());
  after(() => github.stop());

  const environmentFor = async (
    overrides: Record<string, string>,
  ): Promise<Record<string, string>> => {
    const registrations = await declare({ branchPatterns: ["main"] });
    const prune = registrations.find((r) => r.name === "gh-prune-policies")!;
    return { ...(prune.inputs.environment as Record<string, string>), ...overrides };
  };

  it("runs with the API root, owner, repository, environment, kept policies and token the engine got", async () => {
    const registrations = await declare({ branchPatterns: ["main"], tagPatterns: ["v*"] });
    const prune = registrations.find((r) => r.name === "gh-prune-policies")!;
    assert.deepEqual(prune.inputs.environment, {
      SLIPWAY_GITHUB_API: `${github.baseUrl}api/v3/`,
      SLIPWAY_GITHUB_OWNER: "acme",
      SLIPWAY_GITHUB_REPOSITORY: "web",
      SLIPWAY_GITHUB_ENVIRONMENT: "production",
      SLIPWAY_GITHUB_KEEP_POLICIES: '["branch:main","tag:v*"]',
      SLIPWAY_GITHUB_TOKEN: TOKEN,
    });
    assert.deepEqual(prune.inputs.interpreter, ["node", "-e"]);
    assert.deepEqual(prune.inputs.triggers, ["web", "production", "branch:main", "tag:v*"]);
  });

  it("names the token when GitHub refuses it", async () => {
    await assert.rejects(
      runScript(
        (await import("../../../src/github")).PRUNE_SCRIPT,
        await environmentFor({ SLIPWAY_GITHUB_TOKEN: "wrong" }),
      ),
      {
        message:
          'cannot prune the deployment policies of acme/web environment "production": ' +
          `GET ${github.baseUrl}api/v3/repos/acme/web/environments/production/deployment-branch-policies: ` +
          '401, GitHub refused the token; set slipway:github.token or GITHUB_TOKEN ({"message":"Bad credentials"})\n',
      },
    );
  });

  it("names the API address when it cannot be reached", async () => {
    const closed = await unusedPort();
    await assert.rejects(
      runScript(
        (await import("../../../src/github")).PRUNE_SCRIPT,
        await environmentFor({ SLIPWAY_GITHUB_API: `http://127.0.0.1:${closed}/api/v3/` }),
      ),
      {
        message:
          'cannot prune the deployment policies of acme/web environment "production": cannot reach the GitHub API at ' +
          `http://127.0.0.1:${closed}/api/v3/ (connect ECONNREFUSED 127.0.0.1:${closed}); check slipway:github.baseUrl\n`,
      },
    );
  });
});
