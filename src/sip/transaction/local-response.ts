import { buildResponse } from "../message/build-response.ts";
import type { SipRequest } from "../message/request.ts";
import { SipResponse } from "../message/response.ts";

/** Why a client transaction made up its final response. */
export type LocalResponseCause = "timeout" | "transport" | "cancelled";

/**
 * A final response that no peer sent: the client side reports a failure as a response so callers handle
 * one kind of outcome (RFC 3261 §8.1.3.1):
 * - `timeout`: Timer B or F fired, reported as **408** Request Timeout;
 * - `transport`: the connection could not be opened or the send failed, reported as **503** Service
 *   Unavailable, which RFC 3263 §4.3 treats as "try the next target";
 * - `cancelled`: the request was cancelled before it was sent, reported as **487** Request Terminated.
 *
 * Test with `response instanceof SipLocalResponse` (or `response.local`).
 */
export class SipLocalResponse extends SipResponse {
  /** Always `true`: the response did not come from the network. */
  readonly local = true;
  /** What happened. */
  readonly cause: LocalResponseCause;
  /** The underlying error (e.g. a `SipTransportError` naming the TLS failure), when there is one. */
  readonly error: unknown;

  /** Builds the response to `request` for `cause` (headers copied as a UAS would, RFC 3261 §8.2.6). */
  constructor(request: SipRequest, cause: LocalResponseCause, error?: unknown) {
    const status = cause === "timeout" ? 408 : cause === "transport" ? 503 : 487;
    const built = buildResponse(request, status);
    super(status, built.reason, { headers: built.headers });
    this.cause = cause;
    this.error = error;
  }
}
