/**
 * SRTP and SRTCP (RFC 3711) with the AES_CM_128_HMAC_SHA1_80/_32 suites, keyed by SDP security
 * descriptions (SDES, RFC 4568 `a=crypto:`), on node:crypto. Core folder: imports only `lib`.
 * @module
 */
export { formatCryptoAttribute, generateKeyMaterial, parseCryptoAttribute } from "./crypto-attribute.ts";
export { SrtpError, type SrtpErrorCode } from "./errors.ts";
export {
  isSrtpProfile,
  SRTCP_AUTH_TAG_LENGTH,
  SRTP_MASTER_KEY_LENGTH,
  SRTP_MASTER_SALT_LENGTH,
  SRTP_PROFILES,
  srtpAuthTagLength,
} from "./profiles.ts";
export { SrtpContext } from "./srtp-context.ts";
export type * from "./srtp-types.ts";
