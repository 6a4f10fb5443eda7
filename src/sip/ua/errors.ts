import { SrsError } from "../../lib/index.ts";

/**
 * An error that knows its SIP rendering: thrown by a request handler, the stack answers `status`
 * with `reason` (default: the RFC 3261 §21 phrase) and `headers` (hono `HTTPException`, drachtio
 * `SipError`).
 */
export class SipStatusError extends SrsError {
  readonly code = "SIP_STATUS";
  /** Final status to answer, 300–699. */
  readonly status: number;
  /** Reason phrase; `undefined` means the standard phrase. */
  readonly reason: string | undefined;
  /** Extra headers for the response (e.g. `Retry-After`, `Allow`). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    reason?: string,
    options?: { headers?: Record<string, string>; cause?: unknown },
  ) {
    super(`SIP ${status}${reason ? ` ${reason}` : ""}`, options);
    this.status = status;
    this.reason = reason;
    this.headers = options?.headers ?? {};
  }
}
