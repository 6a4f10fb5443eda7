import { SrsError } from "../../lib/index.ts";

/**
 * Thrown when a SIP transport cannot be set up or used: a bad listen spec, a bind failure
 * (e.g. EADDRINUSE, in `cause`), or a send on a closed connection (RFC 3261 §18).
 */
export class SipTransportError extends SrsError {
  readonly code = "SIP_TRANSPORT";
}
