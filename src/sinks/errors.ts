import { SrsError } from "../lib/index.ts";

/**
 * Stable codes of {@link SinkError}:
 * - `SINK_CONFIG`: a sink's configuration cannot be used (unknown format, mode or protocol).
 * - `SINK_PROTOCOL`: the receiver broke EASP/1 (no `easp.v1` subprotocol, malformed message,
 *   `opened.nextSeq` outside what the appliance holds).
 * - `SINK_REJECTED`: the receiver refused the session for good (4001/4003/4415, or repeated 4000);
 *   the unit stops until reconfigured, the spool keeps the audio.
 * - `SINK_UNKNOWN_CALL`: no (live) call of that id is known to the dispatcher.
 * - `SINK_ALREADY_ROUTED`: the call's sinks were decided before.
 * - `SINK_NOT_ROUTED`: the call's sinks are not decided yet.
 * - `SINK_UNKNOWN`: no sink of that name is configured and the choice has no `url`.
 * - `SINK_ALREADY_STARTED`: the sink is active on the call.
 * - `SINK_ALREADY_STOPPED`: the call is not routed to the sink, or streaming to it was stopped already.
 */
export type SinkErrorCode =
  | "SINK_CONFIG"
  | "SINK_PROTOCOL"
  | "SINK_REJECTED"
  | "SINK_UNKNOWN_CALL"
  | "SINK_ALREADY_ROUTED"
  | "SINK_NOT_ROUTED"
  | "SINK_UNKNOWN"
  | "SINK_ALREADY_STARTED"
  | "SINK_ALREADY_STOPPED";

/** A failure of a sink (DESIGN.md §5), with a stable `code`. */
export class SinkError extends SrsError {
  /** Stable identifier of the failure. */
  readonly code: SinkErrorCode;

  constructor(code: SinkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
