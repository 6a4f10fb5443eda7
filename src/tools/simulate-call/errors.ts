import { SrsError } from "../../lib/index.ts";

/** Codes of {@link SimulateCallError}. */
export type SimulateCallErrorCode = "SIMULATE_NO_ANSWER" | "SIMULATE_BAD_ANSWER" | "SIMULATE_BYE_FAILED";

/**
 * Thrown by `simulateCall` when the recording session could not be run to its end (a non-2xx final
 * answer to the INVITE is not an error: the call resolves with that status).
 *
 * - `SIMULATE_NO_ANSWER`: no final response to the INVITE within 64·T1 = 32 s (RFC 3261 §17.1.1.2,
 *   Timer B), or the SRS could not be reached (host name not resolved, TCP connection refused or
 *   closed before the answer).
 * - `SIMULATE_BAD_ANSWER`: the 2xx answer has no SDP with two m-lines (RFC 7866 §7); the call is
 *   acknowledged and ended with BYE before this is thrown.
 * - `SIMULATE_BYE_FAILED`: the BYE got no final response within 32 s (Timer F), or a non-2xx one
 *   (`status` says which; 0 when none came).
 */
export class SimulateCallError extends SrsError {
  readonly code: SimulateCallErrorCode;
  /** SIP status involved (the BYE's final response), 0 when there was none. */
  readonly status: number;

  constructor(code: SimulateCallErrorCode, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = options?.status ?? 0;
  }
}

/**
 * Thrown by `readWav16Mono` when the bytes are not a RIFF/WAVE file holding 16-bit linear PCM, one
 * channel (`SIMULATE_BAD_WAV`); the message says what was found instead.
 */
export class WavFormatError extends SrsError {
  readonly code = "SIMULATE_BAD_WAV";
}
