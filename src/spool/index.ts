/**
 * Durable store-and-forward spool on bun:sqlite (DESIGN.md §4).
 * @module
 */
export type * from "./spool-types.ts";
export { FrameFlags, FrameKind, GapReason } from "./spool-types.ts";
