export * from "./affected";
export * from "./environment";
export * from "./reviewers";
