export * from "./errors";
export * from "./load";
export * from "./project";
export * from "./registry-repositories";
export * from "./schema";
export * from "./secret";
export * from "./source";
export * from "./validate";
