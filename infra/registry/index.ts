export * from "./docker-hub-provider";
export * from "./registry-repository";
export * from "./resources";
export * from "./from-config";
