/**
 * `siprec-edge receive`: the reference EASP/1 receiver (EASP.md §2–5). It writes one WAV file per
 * stream and a JSON file per session, and acknowledges only what is on disk — written to be read
 * as a model by anyone implementing a receiver.
 * @module
 */
export { ReceiverError, type ReceiverErrorCode } from "./errors.ts";
export {
  type EaspReceiver,
  type EaspReceiverOptions,
  type EaspReceiverStats,
  startEaspReceiver,
} from "./receiver.ts";
export type { GapSpan, SessionFile, StreamState } from "./receiver-session.ts";
