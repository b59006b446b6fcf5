export * from "./commands";
export * from "./definition";
export * from "./deploy-script";
export * from "./payload";
export * from "./prelude";
export * from "./record";
export * from "./shell";
export * from "./stop-script";
