/**
 * Upstream delivery: the sink dispatcher and its WebSocket (EASP/1) units (DESIGN.md §5, EASP.md):
 * lossless resume, REPLAY-flagged catch-up paced by `replay.maxRate`, in-order or live-first
 * replay with continuation segments, close-code handling, a circuit breaker per sink, and
 * recovery of undelivered calls after a restart; and SIPREC forwarding to remote SRSs (`siprec-forward/`).
 * @module
 */
export { createSinkDispatcher } from "./dispatcher.ts";
export { SinkError, type SinkErrorCode } from "./errors.ts";
export type * from "./sink-types.ts";
export type * from "./siprec-forward/forward-types.ts";
export {
  createSiprecForwarder,
  SiprecForwardError,
  type SiprecForwardErrorCode,
} from "./siprec-forward/index.ts";
