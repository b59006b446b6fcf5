export * from "./release-record";
