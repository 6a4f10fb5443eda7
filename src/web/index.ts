/**
 * Web adapter: the local, read-only status page and JSON API (DESIGN.md §6). Imports only `lib`
 * at runtime; sees the sinks (and control) as types.
 * @module
 */
export { ListenAddressError, ListenFailedError } from "./errors.ts";
export { escapeHtml } from "./html.ts";
export { startStatusServer } from "./status-server.ts";
export type * from "./status-types.ts";
