import { SrsError } from "../../lib/index.ts";

/**
 * Stable codes of {@link ReceiverError}:
 * - `RECEIVER_LISTEN`: the WebSocket server could not listen (address in use, permission).
 * - `RECEIVER_STATE`: a session's stored state does not match its files (WAV missing or shorter
 *   than the committed size, unreadable JSON); the session is refused with 1011.
 * - `RECEIVER_BAD_ID`: a `callId`/`sessionId` is not a safe file name (letters, digits, `.`, `_`, `-`).
 */
export type ReceiverErrorCode = "RECEIVER_LISTEN" | "RECEIVER_STATE" | "RECEIVER_BAD_ID";

/** A failure of the reference EASP receiver, with a stable `code`. */
export class ReceiverError extends SrsError {
  /** Stable identifier of the failure. */
  readonly code: ReceiverErrorCode;

  constructor(code: ReceiverErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
