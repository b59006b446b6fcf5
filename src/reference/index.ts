export * from "./reference";
