export * from "./caddy";
export * from "./names";
export * from "./split";
