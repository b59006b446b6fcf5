export * from "./model";
export * from "./manifests";
export * from "./rollout";
export * from "./kubeconfig";
