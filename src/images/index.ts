export * from "./git";
export * from "./source";
export * from "./tags";
export * from "./plan";
export * from "./attest";
export * from "./buildx";
export * from "./moving-tags";
export * from "./registry-config";
