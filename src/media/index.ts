/**
 * RTP receive: port pool, receivers, reorder, frames (DESIGN.md §3).
 * @module
 */
export type * from "./media-types.ts";
