export * from "./service-deployment";
export * from "./kubeconfig";
export * from "./from-config";
export * from "./rollout-guard";
