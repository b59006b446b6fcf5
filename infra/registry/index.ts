export * from "./docker-hub-provider";
export * from "./registry-repository";
export * from "./repository-check-provider";
export * from "./resources";
export * from "./from-config";
