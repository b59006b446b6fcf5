/**
 * A GitHub-shaped REST API over real HTTP on loopback, with the GitHub Enterprise Server path
 * prefix (`/api/v3/`), for what the provider and Slipway's prune script send: environments
 * and their deployment branch policies. It behaves as GitHub does where it matters here:
 * turning custom branch policies off removes the environment's policies; listing or changing
 * policies of an environment without custom policies answers 404; a missing token 401.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakePolicy {
  readonly id: number;
  readonly name: string;
  readonly type: "branch" | "tag";
}

export interface FakeEnvironment {
  protectedBranches: boolean;
  customBranchPolicies: boolean;
  /** Whether a deployment_branch_policy is set at all (none: every ref may deploy). */
  restricted: boolean;
  policies: FakePolicy[];
}

export class FakeGitHub {
  /** `METHOD /path -> status`, in order. */
  readonly log: string[] = [];
  /** Environments by `owner/repo/name`. */
  readonly environments = new Map<string, FakeEnvironment>();
  #nextId = 1;
  #server: http.Server | undefined;

  constructor(readonly token: string) {}

  /** `http://127.0.0.1:<port>/`, the base URL a stack would configure. */
  baseUrl = "";

  async start(): Promise<this> {
    this.#server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const [status, answer] = this.#handle(request, body);
        this.log.push(`${request.method} ${request.url?.split("?")[0]} -> ${status}`);
        response.writeHead(status, { "content-type": "application/json" });
        response.end(answer === undefined ? "" : JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
    this.baseUrl = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/`;
    return this;
  }

  /** Forgets every environment, policy id and logged request. */
  reset(): void {
    this.environments.clear();
    this.log.length = 0;
    this.#nextId = 1;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  /** What the provider's RepositoryEnvironment create/update sends. */
  putEnvironment(
    owner: string,
    repo: string,
    name: string,
    policy: { protectedBranches: boolean; customBranchPolicies: boolean } | undefined,
  ): Promise<number> {
    return this.#send("PUT", `repos/${owner}/${repo}/environments/${encodeURIComponent(name)}`, {
      deployment_branch_policy:
        policy === undefined
          ? null
          : {
              protected_branches: policy.protectedBranches,
              custom_branch_policies: policy.customBranchPolicies,
            },
    });
  }

  /** What the provider's RepositoryEnvironmentDeploymentPolicy create sends. */
  postPolicy(
    owner: string,
    repo: string,
    name: string,
    policy: { name: string; type: "branch" | "tag" },
  ): Promise<number> {
    return this.#send(
      "POST",
      `repos/${owner}/${repo}/environments/${encodeURIComponent(name)}/deployment-branch-policies`,
      policy,
    );
  }

  /** What the provider's RepositoryEnvironmentDeploymentPolicy delete sends. */
  deletePolicy(owner: string, repo: string, name: string, id: number): Promise<number> {
    return this.#send(
      "DELETE",
      `repos/${owner}/${repo}/environments/${encodeURIComponent(name)}/deployment-branch-policies/${id}`,
    );
  }

  async #send(method: string, path: string, body?: unknown): Promise<number> {
    const response = await fetch(`${this.baseUrl}api/v3/${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    await response.text();
    return response.status;
  }

  #handle(request: http.IncomingMessage, body: string): [number, unknown?] {
    if (request.headers.authorization !== `Bearer ${this.token}`) {
      return [401, { message: "Bad credentials" }];
    }
    const url = new URL(request.url ?? "/", "http://fake");
    const match =
      /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/environments\/([^/]+)(\/deployment-branch-policies(?:\/(\d+))?)?$/.exec(
        url.pathname,
      );
    if (match === null) {
      return [404, { message: "Not Found" }];
    }
    const [, owner, repo, encoded, policies, id] = match;
    const key = `${owner}/${repo}/${decodeURIComponent(encoded!)}`;
    const environment = this.environments.get(key);
    if (policies === undefined) {
      if (request.method !== "PUT") {
        return environment === undefined ? [404, { message: "Not Found" }] : [200, environment];
      }
      const policy = (
        JSON.parse(body) as {
          deployment_branch_policy: {
            protected_branches: boolean;
            custom_branch_policies: boolean;
          } | null;
        }
      ).deployment_branch_policy;
      const next: FakeEnvironment = environment ?? {
        protectedBranches: false,
        customBranchPolicies: false,
        restricted: false,
        policies: [],
      };
      next.restricted = policy !== null;
      next.protectedBranches = policy?.protected_branches ?? false;
      next.customBranchPolicies = policy?.custom_branch_policies ?? false;
      if (!next.customBranchPolicies) {
        // GitHub drops the custom policies of an environment that no longer uses them.
        next.policies = [];
      }
      this.environments.set(key, next);
      return [200, { name: decodeURIComponent(encoded!) }];
    }
    if (environment === undefined || !environment.customBranchPolicies) {
      return [404, { message: "Not Found" }];
    }
    if (id === undefined) {
      if (request.method === "POST") {
        const { name, type } = JSON.parse(body) as { name: string; type: "branch" | "tag" };
        const created = { id: this.#nextId++, name, type };
        environment.policies.push(created);
        return [200, created];
      }
      const page = Number(url.searchParams.get("page") ?? "1");
      const perPage = Number(url.searchParams.get("per_page") ?? "30");
      const slice = environment.policies.slice((page - 1) * perPage, page * perPage);
      return [200, { total_count: environment.policies.length, branch_policies: slice }];
    }
    const index = environment.policies.findIndex((policy) => policy.id === Number(id));
    if (index < 0) {
      return [404, { message: "Not Found" }];
    }
    if (request.method === "DELETE") {
      environment.policies.splice(index, 1);
      return [204];
    }
    return [200, environment.policies[index]];
  }
}
