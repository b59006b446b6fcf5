export * from "./model";
export * from "./manifests";
export * from "./rollout";
export * from "./kubeconfig";
export * from "./accessory-manifests";
export * from "./quantities";
