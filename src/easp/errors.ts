import { SrsError } from "../lib/index.ts";
import { EaspCloseCode } from "./constants.ts";

/**
 * Stable codes of {@link EaspProtocolError}:
 * - `EASP_RECORD_TRUNCATED`: a binary message ends inside a record header or payload.
 * - `EASP_RECORD_VERSION`: the `ver` byte is not `0x01`.
 * - `EASP_RECORD_KIND`: unknown record `kind` (reserved values).
 * - `EASP_RECORD_FLAGS`: a reserved flag bit (5–7) is set.
 * - `EASP_RECORD_GAP_PAYLOAD`: a GAP record with `payloadLen ≠ 0`.
 * - `EASP_RECORD_RANGE`: a u64/i64 field beyond ±2^53 (cannot be represented exactly).
 * - `EASP_MESSAGE_MALFORMED`: a text message that is not JSON, lacks `type`/`v`, or has bad fields.
 * - `EASP_MESSAGE_UNEXPECTED`: a valid message in the wrong place (e.g. audio before `open`).
 * - `EASP_SEQ_GAP`: invariant 1, a durable item skipped a `seq`.
 * - `EASP_UNKNOWN_STREAM`: a record or item names a `streamId` never declared.
 * - `EASP_POS_MISMATCH`: invariant 2, records of a stream do not tile the timeline.
 * - `EASP_PAYLOAD_LENGTH`: invariant 3, `payloadLen ≠ durationSamples × channels × bytesPerSample`.
 * - `EASP_CAPTURE_TIME_REGRESSION`: invariant 4, `captureTime` went backwards without DISCONTINUITY.
 */
export type EaspErrorCode =
  | "EASP_RECORD_TRUNCATED"
  | "EASP_RECORD_VERSION"
  | "EASP_RECORD_KIND"
  | "EASP_RECORD_FLAGS"
  | "EASP_RECORD_GAP_PAYLOAD"
  | "EASP_RECORD_RANGE"
  | "EASP_MESSAGE_MALFORMED"
  | "EASP_MESSAGE_UNEXPECTED"
  | "EASP_SEQ_GAP"
  | "EASP_UNKNOWN_STREAM"
  | "EASP_POS_MISMATCH"
  | "EASP_PAYLOAD_LENGTH"
  | "EASP_CAPTURE_TIME_REGRESSION";

/**
 * A violation of EASP/1 (EASP.md §1 invariants, §3 layout, §4 messages). Every one of them is
 * protocol error 4000 (EASP.md §7): the receiver answers `error{code:4000}` and closes with 4000.
 */
export class EaspProtocolError extends SrsError {
  /** Stable identifier of the violation. */
  readonly code: EaspErrorCode;
  /** WebSocket close code to use (always 4000, EASP.md §7). */
  readonly closeCode: number = EaspCloseCode.ProtocolError;
  /** Byte offset in the binary message where the bad record starts, or -1 for text messages. */
  readonly offset: number;

  constructor(code: EaspErrorCode, message: string, offset = -1) {
    super(message);
    this.code = code;
    this.offset = offset;
  }
}
