export * from "./keys";
export * from "./policy";
export * from "./sbom";
export * from "./scan";
export * from "./script";
export * from "./tools";
export * from "./verify";
export * from "./verify-script";
