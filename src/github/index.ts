export * from "./affected";
export * from "./api";
export * from "./environment";
export * from "./prune";
export * from "./reviewers";
