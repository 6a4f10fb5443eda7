import { SrsError } from "../../lib/index.ts";

/**
 * Stable codes of {@link SiprecForwardError}:
 * - `SIPREC_FORWARD_CONFIG`: a sink or a per-call choice cannot be used (not a `sip:`/`sips:` URI, a
 *   codec other than PCMU/PCMA, an X-header that is not `X-…` or spans lines, a label that is not an
 *   SDP token, a negative interval or rate).
 * - `SIPREC_FORWARD_SRTP_NEEDS_TLS`: SRTP was asked towards a URI that is neither `sips:` nor
 *   `;transport=tls` (SDES keys travel in the SDP, RFC 4568 §8.3: never over plain signalling).
 * - `SIPREC_FORWARD_UNKNOWN_SINK`: no SIPREC sink of that name is configured and the choice has no `uri`.
 * - `SIPREC_FORWARD_UNKNOWN_CALL`: no call of that id is known (live, or in the spool).
 * - `SIPREC_FORWARD_NOT_LIVE`: the command needs a live call (`start`).
 * - `SIPREC_FORWARD_ALREADY_STARTED`: the sink is already forwarding (or owes audio of) the call.
 * - `SIPREC_FORWARD_NOT_STARTED`: the call is not forwarded to that sink, or the forward was stopped already.
 */
export type SiprecForwardErrorCode =
  | "SIPREC_FORWARD_CONFIG"
  | "SIPREC_FORWARD_SRTP_NEEDS_TLS"
  | "SIPREC_FORWARD_UNKNOWN_SINK"
  | "SIPREC_FORWARD_UNKNOWN_CALL"
  | "SIPREC_FORWARD_NOT_LIVE"
  | "SIPREC_FORWARD_ALREADY_STARTED"
  | "SIPREC_FORWARD_NOT_STARTED";

/** A refused SIPREC forwarding request or configuration (DESIGN.md §5 "SIPREC forward"), with a stable `code`. */
export class SiprecForwardError extends SrsError {
  /** Stable identifier of the failure. */
  readonly code: SiprecForwardErrorCode;

  constructor(code: SiprecForwardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
