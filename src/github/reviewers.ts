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
export interface ReviewerScope {
  readonly owner: string;
  readonly repository: string;
  readonly environment: string;
}

/** One or more reviewers could not be resolved; the message names every one. */
export class ReviewerError extends Error {
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

/**
 * Resolves reviewer logins and team slugs to ids, all at once. Any name GitHub does not know
 * fails the whole set with one ReviewerError naming each such user and team.
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
        (error: unknown) =>
          kind === "user"
            ? `user ${JSON.stringify(name)}: no such GitHub user, or the token cannot see it (${lookupReason(error)})`
            : `team ${JSON.stringify(name)}: no such team in ${scope.owner}, or the token cannot read it (${lookupReason(error)})`,
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
