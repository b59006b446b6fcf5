export * from "./deployment-environment";
export * from "./from-config";
