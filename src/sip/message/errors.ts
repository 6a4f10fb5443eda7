import { SrsError } from "../../lib/index.ts";
import type { SipMessage } from "./sip-message.ts";

/**
 * Thrown when bytes are not a well-formed SIP message (RFC 3261 §7, §25 grammar; §18.3 framing).
 *
 * `offset` is the byte offset (from the start of the message) where the problem was found.
 * Transports catch it, count it (`stats.parseErrors`) and drop the message (RFC 3261 §18.3).
 * When the framing and start line were fine but a header value is malformed, `partial` holds the
 * message as read (headers unchecked), so a UAS can still answer 400 (RFC 3261 §8.2).
 */
export class SipParseError extends SrsError {
  readonly code = "SIP_PARSE";
  /** Byte offset of the problem from the start of the message (0 when unknown). */
  readonly offset: number;
  /** The message as read when only a header value was bad; `undefined` otherwise. */
  readonly partial: SipMessage | undefined;

  constructor(message: string, offset = 0, options?: { cause?: unknown; partial?: SipMessage }) {
    super(message, options);
    this.offset = offset;
    this.partial = options?.partial;
  }
}
