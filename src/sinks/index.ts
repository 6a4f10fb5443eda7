/**
 * Upstream delivery: the sink dispatcher and its WebSocket (EASP/1) units (DESIGN.md §5, EASP.md).
 * @module
 */
export { createSinkDispatcher } from "./dispatcher.ts";
export { SinkError, type SinkErrorCode } from "./errors.ts";
export type * from "./sink-types.ts";
