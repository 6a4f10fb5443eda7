import { AesCmCipher } from "./aes-cm.ts";

/**
 * Key derivation labels (RFC 3711 §4.3.1 and §4.3.2): which session key the AES-CM PRF produces.
 */
export const SrtpKeyLabel = {
  RtpCipherKey: 0x00,
  RtpAuthKey: 0x01,
  RtpSalt: 0x02,
  RtcpCipherKey: 0x03,
  RtcpAuthKey: 0x04,
  RtcpSalt: 0x05,
} as const;
/** @see SrtpKeyLabel */
export type SrtpKeyLabel = (typeof SrtpKeyLabel)[keyof typeof SrtpKeyLabel];

/** Session keys of one direction of SRTP or SRTCP, derived from the master key and salt. */
export interface SrtpSessionKeys {
  /** Session encryption key k_e, 16 bytes. */
  cipherKey: Uint8Array;
  /** Session salting key k_s, 14 bytes. */
  cipherSalt: Uint8Array;
  /** Session authentication key k_a for HMAC-SHA1, 20 bytes (n_a = 160, RFC 3711 §4.2.1). */
  authKey: Uint8Array;
}

/**
 * The SRTP key derivation function with the AES-CM PRF (RFC 3711 §4.3.1, §4.3.3) for a key
 * derivation rate of 0, the only rate SDES uses unless `KDR` is signalled (RFC 4568 §6.3.1):
 *
 * ```text
 * key_id = label || (index DIV kdr)          (7 bytes; index DIV kdr = 0)
 * x      = key_id XOR master_salt            (aligned to the right of the 14-byte salt)
 * out    = AES-CM(master_key, IV = x * 2^16), first `length` bytes of the keystream
 * ```
 * @param masterKey 16 bytes. @param masterSalt 14 bytes. @param length bytes wanted.
 */
export function deriveSrtpKey(
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
  label: SrtpKeyLabel,
  length: number,
): Uint8Array {
  // The label sits 7 bytes from the right of the salt (byte 7 of 14); the IV's SSRC and index
  // fields are zero, so the PRF is AES-CM with the salt-with-label as the session salt.
  const salt = new Uint8Array(masterSalt.subarray(0, 14)); // a copy even when given a Buffer
  salt[7] = salt[7]! ^ label;
  const out = new Uint8Array(length);
  new AesCmCipher(masterKey, salt).xor(out, 0, length, 0, 0, 0);
  return out;
}

/** Derives the SRTP (`rtcp` false) or SRTCP (`rtcp` true) session keys (RFC 3711 §4.3). */
export function deriveSessionKeys(
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
  rtcp: boolean,
): SrtpSessionKeys {
  return {
    cipherKey: deriveSrtpKey(
      masterKey,
      masterSalt,
      rtcp ? SrtpKeyLabel.RtcpCipherKey : SrtpKeyLabel.RtpCipherKey,
      16,
    ),
    cipherSalt: deriveSrtpKey(masterKey, masterSalt, rtcp ? SrtpKeyLabel.RtcpSalt : SrtpKeyLabel.RtpSalt, 14),
    authKey: deriveSrtpKey(
      masterKey,
      masterSalt,
      rtcp ? SrtpKeyLabel.RtcpAuthKey : SrtpKeyLabel.RtpAuthKey,
      20,
    ),
  };
}
