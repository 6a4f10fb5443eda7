/**
 * Upstream delivery: dispatcher and WebSocket (EASP/1) sinks (DESIGN.md §5).
 * @module
 */
export type * from "./sink-types.ts";
