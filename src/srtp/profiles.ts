import { SrtpError } from "./errors.ts";
import type { SrtpKeyMaterial, SrtpProfile } from "./srtp-types.ts";

/** Master key size of the AES_CM_128 suites, bytes (RFC 4568 §6.2.1). */
export const SRTP_MASTER_KEY_LENGTH = 16;
/** Master salt size of the AES_CM_128 suites, bytes (RFC 4568 §6.2.1). */
export const SRTP_MASTER_SALT_LENGTH = 14;
/** SRTCP authentication tag size for both suites, bytes (80 bits, RFC 4568 §6.2.2). */
export const SRTCP_AUTH_TAG_LENGTH = 10;
/** Largest MKI field, bytes (RFC 4568 §6.1 `mki-length` 1–128). */
export const SRTP_MAX_MKI_LENGTH = 128;

/** Every crypto suite we implement, strongest first (the order to offer them in). */
export const SRTP_PROFILES: readonly SrtpProfile[] = ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"];

/** Whether `suite` is the exact (upper-case) name of a crypto suite we implement (RFC 4568 §6.2). */
export function isSrtpProfile(suite: string): suite is SrtpProfile {
  return suite === "AES_CM_128_HMAC_SHA1_80" || suite === "AES_CM_128_HMAC_SHA1_32";
}

/** SRTP authentication tag size of a suite, bytes: 10 (80 bits) or 4 (32 bits) (RFC 4568 §6.2.1). */
export function srtpAuthTagLength(profile: SrtpProfile): number {
  return profile === "AES_CM_128_HMAC_SHA1_32" ? 4 : 10;
}

/**
 * Checks the sizes of key material before it is used or written to SDP.
 * @throws SrtpError `SRTP_BAD_KEY` for an unknown profile, a master key other than 16 bytes, a
 *   master salt other than 14 bytes or an MKI outside 1–128 bytes.
 */
export function assertKeyMaterial(key: SrtpKeyMaterial): void {
  if (!isSrtpProfile(key.profile)) {
    throw new SrtpError("SRTP_BAD_KEY", `unknown SRTP profile ${String(key.profile)}`);
  }
  if (key.masterKey.byteLength !== SRTP_MASTER_KEY_LENGTH) {
    throw new SrtpError(
      "SRTP_BAD_KEY",
      `SRTP master key must be ${SRTP_MASTER_KEY_LENGTH} bytes, got ${key.masterKey.byteLength}`,
    );
  }
  if (key.masterSalt.byteLength !== SRTP_MASTER_SALT_LENGTH) {
    throw new SrtpError(
      "SRTP_BAD_KEY",
      `SRTP master salt must be ${SRTP_MASTER_SALT_LENGTH} bytes, got ${key.masterSalt.byteLength}`,
    );
  }
  const mki = key.mki;
  if (mki !== undefined && (mki.byteLength < 1 || mki.byteLength > SRTP_MAX_MKI_LENGTH)) {
    throw new SrtpError(
      "SRTP_BAD_KEY",
      `SRTP MKI must be 1-${SRTP_MAX_MKI_LENGTH} bytes, got ${mki.byteLength}`,
    );
  }
}
