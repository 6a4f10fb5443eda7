/**
 * EASP/1, the Edge Audio Stream Protocol (EASP.md §1–9): binary record codec, JSON message types
 * and parsers, invariant checks and constants. Pure code, shared by the WebSocket sink and the
 * reference receiver.
 * @module
 */
export * from "./constants.ts";
export * from "./errors.ts";
export * from "./message-parse.ts";
export type * from "./messages.ts";
export { isDurableType } from "./messages.ts";
export * from "./record.ts";
export * from "./time.ts";
export * from "./validate.ts";
