import { SrsError } from "../lib/index.ts";

/** Stable codes of {@link SrtpError}. */
export type SrtpErrorCode =
  | "SRTP_BAD_CRYPTO"
  | "SRTP_UNSUPPORTED_SUITE"
  | "SRTP_UNSUPPORTED_PARAM"
  | "SRTP_BAD_KEY"
  | "SRTP_BAD_PACKET";

/**
 * An SRTP/SDES failure with a stable `code`:
 * - `SRTP_BAD_CRYPTO`: an SDP `a=crypto:` value breaks the RFC 4568 §9.1 grammar (the message says
 *   which part);
 * - `SRTP_UNSUPPORTED_SUITE`: a well-formed crypto suite we do not implement (anything but
 *   `AES_CM_128_HMAC_SHA1_80` and `AES_CM_128_HMAC_SHA1_32`); `suite` names it;
 * - `SRTP_UNSUPPORTED_PARAM`: a well-formed key or session parameter we do not implement (several
 *   master keys, a key method other than `inline`, `KDR`, `UNENCRYPTED_*`, `UNAUTHENTICATED_SRTP`,
 *   `FEC_KEY`, an unknown mandatory session parameter, RFC 4568 §6.3);
 * - `SRTP_BAD_KEY`: key material of the wrong size (master key 16 bytes, master salt 14 bytes, MKI
 *   1–128 bytes) or an unknown profile;
 * - `SRTP_BAD_PACKET`: `protect`/`protectRtcp` was handed bytes that are not an RTP/RTCP packet.
 *
 * Callers that pick one of several `a=crypto:` lines try the next one on any of the first three.
 */
export class SrtpError extends SrsError {
  /** Stable identifier of the failure. */
  readonly code: SrtpErrorCode;
  /** The crypto suite concerned (`SRTP_UNSUPPORTED_SUITE`), else undefined. */
  readonly suite: string | undefined;

  constructor(code: SrtpErrorCode, message: string, options?: { suite?: string }) {
    super(message);
    this.code = code;
    this.suite = options?.suite;
  }
}
