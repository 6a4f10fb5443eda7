import { SrsError } from "../lib/index.ts";

/** Codes of `SiprecBodyError`. */
export type SiprecBodyErrorCode = "SIPREC_NO_BOUNDARY" | "SIPREC_BAD_MULTIPART" | "SIPREC_NO_SDP";

/**
 * Thrown by `splitRecordingBody` when a recording-session body cannot be used; `status` is the SIP
 * final response the SRS should send.
 *
 * - `SIPREC_NO_BOUNDARY` (400): `multipart/*` without a `boundary` parameter (RFC 2046 §5.1.1).
 * - `SIPREC_BAD_MULTIPART` (400): the boundary never occurs in the body.
 * - `SIPREC_NO_SDP` (415): no `application/sdp` and no `application/rs-metadata(+xml)` part.
 */
export class SiprecBodyError extends SrsError {
  readonly code: SiprecBodyErrorCode;
  /** SIP status code to answer with (400 or 415). */
  readonly status: number;

  constructor(code: SiprecBodyErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = status;
  }
}

/**
 * Thrown by `parseMetadata` on malformed XML, a DOCTYPE (DTDs are refused, never expanded) or a root
 * element that is not RFC 7865 `recording` (or BroadWorks' `recording_metadata`); answer 400.
 */
export class MetadataParseError extends SrsError {
  readonly code = "SIPREC_BAD_METADATA";
  /** SIP status code to answer with. */
  readonly status = 400;
}
