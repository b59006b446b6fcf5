import type { DeploymentPolicy } from "./environment";

/**
 * Why the policies are pruned by Slipway and not deleted by the provider: when an environment
 * stops allowing custom branch policies (patterns → protected branches or no restriction),
 * GitHub removes its policies itself. Pulumi updates the environment first and deletes the
 * removed `RepositoryEnvironmentDeploymentPolicy` resources last; the provider's delete then
 * gets 404 and fails the update. So the policy resources are `retainOnDelete` (the provider
 * never deletes them) and this script, run before the environment is written, deletes every
 * policy GitHub holds that the stack no longer wants, treating 404 as already gone.
 */

/** The variables the prune script reads; the token is the only secret. */
export const PRUNE_ENV = {
  api: "SLIPWAY_GITHUB_API",
  owner: "SLIPWAY_GITHUB_OWNER",
  repository: "SLIPWAY_GITHUB_REPOSITORY",
  environment: "SLIPWAY_GITHUB_ENVIRONMENT",
  keep: "SLIPWAY_GITHUB_KEEP_POLICIES",
  token: "SLIPWAY_GITHUB_TOKEN",
} as const;

/** `branch:main`, `tag:v*`: how a policy is named in the keep list and the script's output. */
export function policyKey(policy: DeploymentPolicy): string {
  return `${policy.kind}:${policy.pattern}`;
}

/** What the prune script needs, besides the token. */
interface PruneTarget {
  /** REST API root, from `apiRoot`, ending in `/`. */
  readonly api: string;
  readonly owner: string;
  readonly repository: string;
  readonly environment: string;
  /** The policies the stack declares; every other one GitHub holds is deleted. */
  readonly keep: readonly DeploymentPolicy[];
}

/** The script's environment for a target (without the token). */
export function pruneEnvironment(target: PruneTarget): Record<string, string> {
  return {
    [PRUNE_ENV.api]: target.api,
    [PRUNE_ENV.owner]: target.owner,
    [PRUNE_ENV.repository]: target.repository,
    [PRUNE_ENV.environment]: target.environment,
    [PRUNE_ENV.keep]: JSON.stringify(target.keep.map(policyKey)),
  };
}

/**
 * The prune script, run as `node -e <script>` on the machine that runs `pulumi up`. It holds
 * no value (everything arrives in PRUNE_ENV), so its text never changes between stacks. It
 * lists the environment's deployment branch policies (404: no environment yet, or custom
 * policies are off, so nothing to prune), deletes each one not kept (404: already gone), and
 * fails naming the cause for anything else: 401/403 the token, a connection error the API
 * address.
 */
export const PRUNE_SCRIPT = `"use strict";
const env = process.env;
const api = env.${PRUNE_ENV.api};
const keep = new Set(JSON.parse(env.${PRUNE_ENV.keep} || "[]"));
const where = env.${PRUNE_ENV.owner} + "/" + env.${PRUNE_ENV.repository} + " environment " + JSON.stringify(env.${PRUNE_ENV.environment});
const base = api + "repos/" + encodeURIComponent(env.${PRUNE_ENV.owner}) + "/" + encodeURIComponent(env.${PRUNE_ENV.repository}) +
  "/environments/" + encodeURIComponent(env.${PRUNE_ENV.environment}) + "/deployment-branch-policies";
const headers = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "user-agent": "slipway" };
if (env.${PRUNE_ENV.token}) headers.authorization = "Bearer " + env.${PRUNE_ENV.token};
function fail(message) {
  process.stderr.write("cannot prune the deployment policies of " + where + ": " + message + "\\n");
  process.exit(1);
}
async function call(method, url) {
  try {
    return await fetch(url, { method, headers });
  } catch (error) {
    fail("cannot reach the GitHub API at " + api + " (" + ((error.cause && error.cause.message) || error.message) + "); check slipway:github.baseUrl");
  }
}
async function refused(response, what) {
  const text = (await response.text()).slice(0, 200);
  if (response.status === 401) fail(what + ": 401, GitHub refused the token; set slipway:github.token or GITHUB_TOKEN (" + text + ")");
  if (response.status === 403) fail(what + ": 403, the token may not manage this repository's environments (it needs admin rights) (" + text + ")");
  fail(what + ": " + response.status + " " + text);
}
(async () => {
  const policies = [];
  for (let page = 1; ; page++) {
    const response = await call("GET", base + "?per_page=100&page=" + page);
    if (response.status === 404) break;
    if (!response.ok) await refused(response, "GET " + base);
    const list = (await response.json()).branch_policies || [];
    policies.push(...list);
    if (list.length < 100) break;
  }
  for (const policy of policies) {
    const key = (policy.type === "tag" ? "tag" : "branch") + ":" + policy.name;
    if (keep.has(key)) continue;
    const response = await call("DELETE", base + "/" + policy.id);
    if (response.status === 404) {
      process.stdout.write("already gone " + key + "\\n");
    } else if (response.ok) {
      process.stdout.write("deleted " + key + "\\n");
    } else {
      await refused(response, "DELETE " + base + "/" + policy.id);
    }
  }
})();
`;
