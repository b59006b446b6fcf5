export * from "./caddy";
export * from "./names";
