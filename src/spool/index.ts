/**
 * Durable store-and-forward spool on bun:sqlite (DESIGN.md §4).
 * @module
 */

export { FrameFlags, FrameKind, GapReason } from "../lib/index.ts";
export { SpoolError, type SpoolErrorCode } from "./errors.ts";
export type * from "./spool-types.ts";
export { openSqliteSpool, SqliteSpool } from "./sqlite-spool.ts";
export type { SqliteSpoolOptions } from "./sqlite-spool-options.ts";
