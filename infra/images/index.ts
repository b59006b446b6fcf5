export * from "./image-build";
export * from "./attestation";
