import { RunError } from "@pulumi/pulumi/errors";

/** Numeric ids, the form GitHub's environment API takes reviewers in. */
export interface ReviewerIds {
  readonly users: number[];
  readonly teams: number[];
}

/**
 * How names become ids: each function returns the id GitHub reports (the provider's data
 * sources return it as a string) or fails.
 */
export interface ReviewerLookup {
  user(login: string): Promise<string>;
  team(slug: string): Promise<string>;
}

/** Where the reviewers belong, for messages. */
interface ReviewerScope {
  readonly owner: string;
  readonly repository: string;
  readonly environment: string;
  /** The API base URL the provider talks to, named when it cannot be reached. */
  readonly baseUrl?: string;
  /** Whether a token was configured (slipway:github.token or GITHUB_TOKEN); undefined when the caller's provider decides. */
  readonly tokenSet?: boolean;
}

/**
 * One or more reviewers could not be resolved; the message names every one. A RunError, so
 * the engine prints the message alone.
 */
export class ReviewerError extends RunError {
  constructor(
    readonly scope: ReviewerScope,
    readonly failures: readonly string[],
  ) {
    super(
      `cannot set the required reviewers of environment ${JSON.stringify(scope.environment)} in ` +
        `${scope.owner}/${scope.repository}; nothing was changed:\n` +
        failures.map((failure) => `  ${failure}`).join("\n"),
    );
    this.name = "ReviewerError";
  }
}

/**
 * The useful part of a failed lookup: the provider's error bullets (`* GET …: 404 Not Found`)
 * when the engine wrapped them, else the first line.
 */
export function lookupReason(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).trim();
  const lines = text.split("\n").map((line) => line.trim());
  const bullets = lines.filter((line) => line.startsWith("* ")).map((line) => line.slice(2));
  if (bullets.length > 0) {
    return bullets.join("; ");
  }
  return lines[0] || "no reason given";
}

function toId(value: string): number | undefined {
  return /^[1-9][0-9]*$/.test(value) ? Number(value) : undefined;
}

/** A failure that means the API could not be reached at all (go's net errors, Node's). */
const CONNECTION_FAILURE =
  /dial tcp|connection refused|no such host|i\/o timeout|network is unreachable|tls: |x509: |context deadline exceeded|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET/i;

/** The HTTP status in a go-github error line (`GET https://…/users/x: 404 Not Found []`). */
function statusOf(reason: string): number | undefined {
  const match = /: (\d{3}) /.exec(reason);
  return match === null ? undefined : Number(match[1]);
}

/**
 * Why looking up `name` failed, by its real cause: a connection failure names the API
 * address; 401 and 403 the token; 404 on the user's or team's own URL an unknown name. A
 * 404 elsewhere (the provider reads the owner first) says which URL it was.
 */
function lookupFailure(
  kind: "user" | "team",
  name: string,
  error: unknown,
  scope: ReviewerScope,
): string {
  const reason = lookupReason(error);
  const who = `${kind} ${JSON.stringify(name)}`;
  const noToken =
    scope.tokenSet === false
      ? "; no token is set: set slipway:github.token (a secret) or GITHUB_TOKEN"
      : "";
  if (CONNECTION_FAILURE.test(reason)) {
    const api =
      scope.baseUrl === undefined ? "the GitHub API" : `the GitHub API at ${scope.baseUrl}`;
    return `${who}: cannot reach ${api}; check slipway:github.baseUrl (or GITHUB_BASE_URL) and the network (${reason})`;
  }
  const status = statusOf(reason);
  if (status === 401) {
    return `${who}: GitHub refused the token (401)${noToken || "; set a valid one in slipway:github.token or GITHUB_TOKEN"} (${reason})`;
  }
  if (status === 403) {
    return `${who}: the token may not read this (403)${noToken || `; it needs read access to users${kind === "team" ? ` and read:org in ${scope.owner}` : ""}`} (${reason})`;
  }
  const ownUrl =
    kind === "user"
      ? new RegExp(`/users/${escapeRegExp(name)}(?:[:?\\s]|$)`, "i")
      : new RegExp(`/teams/${escapeRegExp(name)}(?:[:?\\s]|$)`, "i");
  if (status === 404 && ownUrl.test(reason)) {
    return kind === "user"
      ? `${who}: no such GitHub user (${reason})`
      : `${who}: no such team in ${scope.owner}, or the token cannot read it (${reason})`;
  }
  return `${who}: the look-up failed before reaching it${noToken} (${reason})`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Resolves reviewer logins and team slugs to ids, all at once. Any name that cannot be
 * resolved fails the whole set with one ReviewerError naming each such user and team and why.
 */
export async function resolveReviewers(
  users: readonly string[],
  teams: readonly string[],
  lookup: ReviewerLookup,
  scope: ReviewerScope,
): Promise<ReviewerIds> {
  const settle = (kind: "user" | "team", name: string, find: () => Promise<string>) =>
    Promise.resolve()
      .then(find)
      .then(
        (id) =>
          toId(id) ??
          `${kind} ${JSON.stringify(name)}: GitHub returned no numeric id (got ${JSON.stringify(id)})`,
        (error: unknown) => lookupFailure(kind, name, error, scope),
      );
  const [userResults, teamResults] = await Promise.all([
    Promise.all(users.map((login) => settle("user", login, () => lookup.user(login)))),
    Promise.all(teams.map((slug) => settle("team", slug, () => lookup.team(slug)))),
  ]);
  const failures = [...userResults, ...teamResults].filter(
    (result): result is string => typeof result === "string",
  );
  if (failures.length > 0) {
    throw new ReviewerError(scope, failures);
  }
  return {
    users: userResults.filter((id): id is number => typeof id === "number"),
    teams: teamResults.filter((id): id is number => typeof id === "number"),
  };
}
