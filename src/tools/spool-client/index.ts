/**
 * `siprec-edge spool ls|export`: the spool seen through the running daemon's HTTP API (never by
 * opening its SQLite file, DESIGN.md §4).
 * @module
 */
export { formatBacklog, renderCallTable } from "./call-table.ts";
export { type DaemonAuth, daemonAuthHeaders } from "./daemon-client.ts";
export { SpoolClientError, type SpoolClientErrorCode } from "./errors.ts";
export { type ExportResult, type ExportTargets, exportCall, listCalls } from "./spool-client.ts";
export type { WireCallDetail, WireCallSummary } from "./wire.ts";
