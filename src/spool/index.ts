/**
 * Durable store-and-forward spool on bun:sqlite (DESIGN.md §4).
 * @module
 */
export { SpoolError, type SpoolErrorCode } from "./errors.ts";
export type * from "./spool-types.ts";
export { FrameFlags, FrameKind, GapReason } from "./spool-types.ts";
export { openSqliteSpool, SqliteSpool, type SqliteSpoolOptions } from "./sqlite-spool.ts";
