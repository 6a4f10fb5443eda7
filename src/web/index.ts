/**
 * Web adapter: the local, read-only status page and JSON API, with the calls in the spool and
 * their WAV/pcap exports (DESIGN.md §6). Imports only `lib` at runtime; sees the sinks, the spool
 * (and control) as types.
 * @module
 */
export type * from "./call-api-types.ts";
export { defaultCallLimit, maxCallLimit } from "./call-routes.ts";
export { ListenAddressError, ListenFailedError } from "./errors.ts";
export { escapeHtml } from "./html.ts";
export { startStatusServer } from "./status-server.ts";
export type * from "./status-types.ts";
