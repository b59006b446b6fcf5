export * from "./edge-proxy";
export * from "./from-config";
