export * from "./atomic";
export * from "./errors";
export * from "./ledger";
export * from "./protect";
export * from "./rollback";
export * from "./schema";
export * from "./stack-file";
export * from "./release";
