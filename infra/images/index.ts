export * from "./image-build";
export * from "./attestation";
export * from "./moving-tags";
