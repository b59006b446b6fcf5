export * from "./service-deployment";
export * from "./from-config";
export * from "./rollout-guard";
