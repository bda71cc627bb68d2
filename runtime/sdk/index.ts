/** The only API a node imports. */
export * from "./clock.ts";
export * from "./config.ts";
export * from "./define.ts";
export * from "./errors.ts";
export * from "./expression.ts";
export * from "./message.ts";
export * from "../contract/ports.ts";
export * from "./schema.ts";
export * from "./state.ts";
