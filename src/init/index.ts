export * from "./actions";
export * from "./answers";
export * from "./dockerfiles";
export * from "./files";
export * from "./workflows";
