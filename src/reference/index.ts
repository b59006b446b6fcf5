export * from "./reference";
export * from "./registry-kind";
