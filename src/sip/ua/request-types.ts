import type { SipRequest } from "../message/request.ts";
import type { SipEndpoint } from "../transport/listen-spec.ts";
import type { SessionDialog } from "./uac-types.ts";

/** Options of {@link IncomingRequest.reply}. */
export interface ReplyOptions {
  /** Extra headers (an array gives one line per value). */
  headers?: Record<string, string | string[]>;
  /** Body; a string is encoded as UTF-8. */
  body?: Uint8Array | string;
  /** Content-Type of the body. */
  contentType?: string;
}

/** A request handed to a {@link RequestHandler}, with its server transaction behind `reply`. */
export interface IncomingRequest {
  /** The request as received. */
  readonly message: SipRequest;
  /** Where it came from. */
  readonly source: SipEndpoint;
  /** Our socket it arrived on (use for Contact). */
  readonly local: SipEndpoint;
  /** The dialog of an in-dialog request (BYE, re-INVITE, UPDATE, INFO), matched by Call-ID + tags. */
  readonly dialog: SessionDialog | undefined;
  /**
   * Sends a provisional or final response through the server transaction. A 2xx to an initial
   * INVITE creates and returns the dialog (adding a To tag unless present), which can send requests
   * (RFC 3261 §12.2.1) and runs the session timer the 2xx negotiated (RFC 4028 §9); a 2xx to a
   * re-INVITE returns the dialog it belongs to.
   * @throws InvalidStateError (INVALID_STATE) when a final response was already sent.
   */
  reply(status: number, reason?: string, options?: ReplyOptions): SessionDialog | undefined;
  /** Aborted when CANCEL (or a transport failure) ended a pending INVITE; the stack already sent 487. */
  readonly cancelled: AbortSignal;
}

/**
 * Handles one request. May be async. Throw `SipStatusError` to answer that status; any other
 * error answers 500; returning without a final response answers 500.
 */
export type RequestHandler = (request: IncomingRequest) => void | Promise<void>;
