/**
 * Web adapter: the local status page and HTTP API (DESIGN.md §6): status, the calls in the spool
 * and their WAV/pcap exports, the commands, and Prometheus `/metrics`. Imports only `lib` (and
 * `prom-client`) at runtime; sees the sinks, the spool (and control) as types.
 * @module
 */
export type * from "./call-api-types.ts";
export { defaultCallLimit, maxCallLimit } from "./call-routes.ts";
export type * from "./command-api-types.ts";
export { maxCommandBodyBytes } from "./command-routes.ts";
export { ListenAddressError, ListenFailedError } from "./errors.ts";
export { escapeHtml } from "./html.ts";
export { metricsContentType, renderMetrics } from "./metrics.ts";
export type * from "./metrics-types.ts";
export { startStatusServer } from "./status-server.ts";
export type * from "./status-types.ts";
