export * from "./caddy";
export * from "./names";
export * from "./canary";
export * from "./split";
