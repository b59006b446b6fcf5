export * from "./image-build";
