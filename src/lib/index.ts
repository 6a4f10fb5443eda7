/**
 * Leaf utilities shared by every layer: errors, typed events, clock, logger, ids.
 * @module
 */
export * from "./clock.ts";
export * from "./config-text.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./frame-codes.ts";
export * from "./ids.ts";
export * from "./logger.ts";
export * from "./units.ts";
