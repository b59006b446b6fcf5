export * from "./challenge";
export * from "./client";
export * from "./errors";
export * from "./media-types";
export * from "./platforms";
export * from "./retention";
export * from "./tags";
