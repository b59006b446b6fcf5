export * from "./host-deployment";
export * from "./keys";
export * from "./service";
export * from "./connection";
export * from "./accessory";
export * from "./release-command";
export * from "./maintenance";
