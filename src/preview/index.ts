export * from "./changes";
export * from "./cli";
export * from "./model";
export * from "./render";
export * from "./summary";
