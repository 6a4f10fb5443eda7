import { SrsError } from "../../lib/index.ts";

/**
 * Stable codes of {@link SpoolClientError}:
 * - `SPOOL_CLIENT_NOT_RUNNING`: nothing answers at the daemon's web address (start it or pass `--web URL`).
 * - `SPOOL_CLIENT_BAD_URL`: the web address is not an `http:`/`https:` URL.
 * - `SPOOL_CLIENT_UNAUTHORIZED`: the daemon answered 401 (pass the `web.auth` token or user).
 * - `SPOOL_CLIENT_NO_API`: the address answers but has no calls API (another program, or an older daemon).
 * - `SPOOL_CLIENT_UNKNOWN_CALL`: the spool has no such call.
 * - `SPOOL_CLIENT_HTTP`: any other unexpected HTTP status.
 * - `SPOOL_CLIENT_BAD_RESPONSE`: the answer is not the JSON the calls API returns.
 * - `SPOOL_CLIENT_TIMEOUT`: the daemon did not answer in time.
 * - `SPOOL_CLIENT_USAGE`: nothing to do (export without a WAV folder or a pcap file).
 * - `SPOOL_CLIENT_WRITE`: an exported file could not be written.
 */
export type SpoolClientErrorCode =
  | "SPOOL_CLIENT_NOT_RUNNING"
  | "SPOOL_CLIENT_BAD_URL"
  | "SPOOL_CLIENT_UNAUTHORIZED"
  | "SPOOL_CLIENT_NO_API"
  | "SPOOL_CLIENT_UNKNOWN_CALL"
  | "SPOOL_CLIENT_HTTP"
  | "SPOOL_CLIENT_BAD_RESPONSE"
  | "SPOOL_CLIENT_TIMEOUT"
  | "SPOOL_CLIENT_USAGE"
  | "SPOOL_CLIENT_WRITE";

/** A failure of `siprec-edge spool ls|export`, with a stable `code` and a message for the operator. */
export class SpoolClientError extends SrsError {
  /** Stable identifier of the failure. */
  readonly code: SpoolClientErrorCode;

  constructor(code: SpoolClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
