/**
 * SRTP crypto suites we implement, named as in RFC 4568 §6.2 (SDES) — the SRTP transforms of
 * RFC 3711 §5 with AES-128 in counter mode and an HMAC-SHA1 tag of 80 or 32 bits on SRTP packets
 * (SRTCP packets always carry the 80-bit tag, RFC 4568 §6.2.2).
 */
export type SrtpProfile = "AES_CM_128_HMAC_SHA1_80" | "AES_CM_128_HMAC_SHA1_32";

/**
 * The keying material of one SRTP cryptographic context (RFC 3711 §3.2.1), as SDES carries it.
 * `masterKey` is 16 bytes, `masterSalt` 14 bytes. `mki`, when set, is the Master Key Identifier as
 * sent in every packet (1–128 bytes, RFC 3711 §3.1; RFC 4568 `|value:length`).
 */
export interface SrtpKeyMaterial {
  /** Crypto suite. */
  profile: SrtpProfile;
  /** Master key, 16 bytes. */
  masterKey: Uint8Array;
  /** Master salt, 14 bytes. */
  masterSalt: Uint8Array;
  /** MKI field carried by each SRTP/SRTCP packet (1–128 bytes), or undefined for none. */
  mki?: Uint8Array;
}

/** Master Key Identifier as written in SDP (RFC 4568 §6.1 `mki-value:mki-length`). */
export interface SrtpMki {
  /** MKI value (decimal in SDP; big-endian in packets). */
  value: bigint;
  /** Size of the MKI field in each packet, bytes (1–128). */
  length: number;
}

/** One parsed SDP `a=crypto:` attribute (RFC 4568 §9.1) of a suite we implement. */
export interface SrtpCryptoAttribute {
  /** Tag that identifies the attribute in offer and answer (0–999999999). */
  tag: number;
  /** Crypto suite. */
  profile: SrtpProfile;
  /** Key, salt and (when signalled) MKI, ready for `new SrtpContext(key)`. */
  key: SrtpKeyMaterial;
  /**
   * Master key lifetime in packets, when signalled (`|2^31` → 2147483648). Informational: we keep
   * one master key per session and never reach the RFC 3711 §9.2 limits on a call.
   */
  lifetime?: number;
  /** MKI as written in SDP, when signalled. */
  mki?: SrtpMki;
}

/** Packets refused by an {@link SrtpContext}, counted since it was built. */
export interface SrtpStats {
  /** SRTP/SRTCP packets whose authentication tag (or MKI) did not match (RFC 3711 §3.3 step 5). */
  authFailures: number;
  /** SRTP/SRTCP packets refused as replayed or older than the 64-packet window (RFC 3711 §3.3.2). */
  replays: number;
  /** Packets too short or not RTP/RTCP, refused before any crypto. */
  malformed: number;
}
