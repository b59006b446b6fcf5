export * from "./from-config";
export * from "./supply-chain";
export * from "./verification";
