/** A config path in the form `pulumi config set --path` takes: `slipway:images.api.platforms[1]`. */
export function formatPath(key: string, path: readonly PropertyKey[]): string {
  let out = key;
  for (const segment of path) {
    if (typeof segment === "number") {
      out += `[${segment}]`;
    } else if (typeof segment === "string" && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) {
      out += `.${segment}`;
    } else {
      out += `[${JSON.stringify(String(segment))}]`;
    }
  }
  return out;
}

export interface ConfigIssue {
  /** Where the problem is, e.g. `slipway:images.api.build.platforms[1]`. */
  readonly path: string;
  /** What is wrong and, where it helps, how to fix it. */
  readonly message: string;
}

/** Every problem found in a stack's config, reported at once, each with its path. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], stack?: string) {
    const where = stack === undefined ? "stack config" : `config of stack ${JSON.stringify(stack)}`;
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(
      `${where} has ${count}; nothing was changed:\n` +
        issues.map((issue) => `  ${issue.path}: ${issue.message}`).join("\n"),
    );
    this.name = "ConfigError";
    this.issues = issues;
  }
}
