export * from "./service-deployment";
export * from "./from-config";
export * from "./rollout-guard";
export * from "./cluster";
export * from "./accessory-statefulset";
