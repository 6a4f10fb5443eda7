import { randomBytes } from "node:crypto";
import { SrtpError } from "./errors.ts";
import {
  assertKeyMaterial,
  isSrtpProfile,
  SRTP_MASTER_KEY_LENGTH,
  SRTP_MASTER_SALT_LENGTH,
  SRTP_MAX_MKI_LENGTH,
} from "./profiles.ts";
import type { SrtpCryptoAttribute, SrtpKeyMaterial, SrtpMki, SrtpProfile } from "./srtp-types.ts";

/** Longest master key lifetime of the AES_CM_128 suites, packets (RFC 4568 §6.2.1: 2^48). */
const MAX_LIFETIME = 2 ** 48;
const KEY_SALT_LENGTH = SRTP_MASTER_KEY_LENGTH + SRTP_MASTER_SALT_LENGTH;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Session parameters (RFC 4568 §6.3) we accept and ignore: `WSH` (a window-size hint; our window is
 * the 64-packet minimum) and `FEC_ORDER` (we apply no FEC). Parameters starting with `-` are
 * optional by definition (§6.3.7) and are ignored too; any other one is refused.
 */
const IGNORED_SESSION_PARAMS = /^(WSH=\d+|FEC_ORDER=(FEC_SRTP|SRTP_FEC))$/i;

/**
 * Parses the value of an SDP `a=crypto:` attribute (RFC 4568 §9.1) for SRTP:
 *
 * ```text
 * <tag> <crypto-suite> inline:<base64(key||salt)>[|<lifetime>][|<mki-value>:<mki-length>] [<session-param>…]
 * e.g. 1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4
 * ```
 * A leading `a=crypto:` is tolerated. `lifetime` is `2^n` or a decimal count of packets, at most
 * 2^48; the key and salt must decode to exactly 30 bytes.
 * @throws SrtpError `SRTP_BAD_CRYPTO` when the value breaks the grammar (the message says which
 *   part), `SRTP_UNSUPPORTED_SUITE` for a suite other than AES_CM_128_HMAC_SHA1_80/_32,
 *   `SRTP_UNSUPPORTED_PARAM` for several keys, a key method other than `inline`, or a session
 *   parameter we do not implement (`KDR`, `UNENCRYPTED_SRTP`, `UNENCRYPTED_SRTCP`,
 *   `UNAUTHENTICATED_SRTP`, `FEC_KEY`, unknown ones).
 */
export function parseCryptoAttribute(value: string): SrtpCryptoAttribute {
  const text = value.trim().replace(/^a=crypto:/i, "");
  const fields = text.split(/[ \t]+/);
  const [tagText, suite, keyParams, ...sessionParams] = fields;
  if (tagText === undefined || suite === undefined || keyParams === undefined) {
    throw bad(`expected "<tag> <crypto-suite> <key-params>", got "${text}"`);
  }
  if (!/^\d{1,9}$/.test(tagText)) throw bad(`tag must be 1-9 digits, got "${tagText}"`);
  if (!/^\w+$/.test(suite)) throw bad(`crypto suite must be letters, digits and "_", got "${suite}"`);
  // ABNF string literals are case-insensitive (RFC 5234 §2.3), so "aes_cm_128_hmac_sha1_80" is valid.
  const profile = suite.toUpperCase();
  if (!isSrtpProfile(profile)) {
    throw new SrtpError("SRTP_UNSUPPORTED_SUITE", `unsupported SRTP crypto suite ${suite}`, { suite });
  }
  for (const param of sessionParams) checkSessionParam(param);
  const { key, lifetime, mki } = parseKeyParams(keyParams, profile);
  const attribute: SrtpCryptoAttribute = { tag: Number(tagText), profile, key };
  if (lifetime !== undefined) attribute.lifetime = lifetime;
  if (mki !== undefined) attribute.mki = mki;
  return attribute;
}

/**
 * Writes the value of an SDP `a=crypto:` attribute (RFC 4568 §9.1) offering or answering `key`:
 * `<tag> <profile> inline:<base64(key||salt)>[|2^n][|<mki>:<length>]`, without the `a=crypto:`
 * prefix. The MKI is written when `key.mki` is set; `options.lifetime` (packets) when given, as
 * `2^n` when it is a power of two.
 * @throws SrtpError `SRTP_BAD_KEY` when the key material has the wrong sizes, `SRTP_BAD_CRYPTO` when
 *   `tag` is not an integer 0–999999999 or the lifetime is not an integer 1–2^48.
 */
export function formatCryptoAttribute(
  tag: number,
  key: SrtpKeyMaterial,
  options?: { lifetime?: number },
): string {
  assertKeyMaterial(key);
  if (!Number.isInteger(tag) || tag < 0 || tag > 999_999_999) {
    throw bad(`tag must be an integer 0-999999999, got ${tag}`);
  }
  const keySalt = new Uint8Array(KEY_SALT_LENGTH);
  keySalt.set(key.masterKey, 0);
  keySalt.set(key.masterSalt, SRTP_MASTER_KEY_LENGTH);
  let keyInfo = Buffer.from(keySalt).toString("base64");
  const lifetime = options?.lifetime;
  if (lifetime !== undefined) keyInfo += `|${formatLifetime(lifetime)}`;
  if (key.mki !== undefined) keyInfo += `|${bytesToBigInt(key.mki)}:${key.mki.byteLength}`;
  return `${tag} ${key.profile} inline:${keyInfo}`;
}

/**
 * Fresh random key material for `profile` (a 16-byte master key and a 14-byte master salt from
 * `crypto.randomBytes`, RFC 3711 §8.2; no MKI), e.g. for the `a=crypto:` of an offer we send.
 * @throws SrtpError `SRTP_BAD_KEY` for an unknown profile.
 */
export function generateKeyMaterial(profile: SrtpProfile): SrtpKeyMaterial {
  if (!isSrtpProfile(profile)) throw new SrtpError("SRTP_BAD_KEY", `unknown SRTP profile ${String(profile)}`);
  const bytes = randomBytes(KEY_SALT_LENGTH);
  return {
    profile,
    masterKey: new Uint8Array(bytes.subarray(0, SRTP_MASTER_KEY_LENGTH)),
    masterSalt: new Uint8Array(bytes.subarray(SRTP_MASTER_KEY_LENGTH)),
  };
}

/** Parses `inline:<key-salt>[|lifetime][|mki:length]` (RFC 4568 §6.1, one key only). */
function parseKeyParams(
  keyParams: string,
  profile: SrtpProfile,
): { key: SrtpKeyMaterial; lifetime: number | undefined; mki: SrtpMki | undefined } {
  if (keyParams.includes(";")) {
    throw new SrtpError(
      "SRTP_UNSUPPORTED_PARAM",
      "several master keys in one crypto attribute are not supported",
    );
  }
  const colon = keyParams.indexOf(":");
  if (colon <= 0) throw bad(`key parameter must be "<method>:<info>", got "${keyParams}"`);
  const method = keyParams.slice(0, colon);
  if (method.toLowerCase() !== "inline") {
    throw new SrtpError("SRTP_UNSUPPORTED_PARAM", `unsupported key method "${method}" (only inline)`);
  }
  const [keySalt = "", ...extras] = keyParams.slice(colon + 1).split("|");
  if (extras.length > 2) throw bad(`too many "|" fields in "${keyParams}"`);
  let lifetimeText: string | undefined;
  let mkiText: string | undefined;
  if (extras.length === 2) [lifetimeText, mkiText] = extras;
  else if (extras[0]?.includes(":")) mkiText = extras[0];
  else lifetimeText = extras[0];
  const bytes = decodeKeySalt(keySalt);
  const mki = mkiText === undefined ? undefined : parseMki(mkiText);
  const key: SrtpKeyMaterial = {
    profile,
    masterKey: bytes.slice(0, SRTP_MASTER_KEY_LENGTH),
    masterSalt: bytes.slice(SRTP_MASTER_KEY_LENGTH),
  };
  if (mki !== undefined) key.mki = bigIntToBytes(mki.value, mki.length);
  return { key, lifetime: lifetimeText === undefined ? undefined : parseLifetime(lifetimeText), mki };
}

function decodeKeySalt(text: string): Uint8Array {
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw bad(`key and salt are not base64: "${text}"`);
  const bytes = new Uint8Array(Buffer.from(text, "base64"));
  if (bytes.byteLength !== KEY_SALT_LENGTH) {
    throw bad(
      `key and salt must be ${KEY_SALT_LENGTH} bytes (16-byte key, 14-byte salt), got ${bytes.byteLength}`,
    );
  }
  return bytes;
}

/** `2^n` or a decimal, 1 … 2^48 packets. */
function parseLifetime(text: string): number {
  const m = /^(2\^)?(\d{1,15})$/.exec(text);
  const lifetime = m === null ? Number.NaN : m[1] !== undefined ? 2 ** Number(m[2]) : Number(m[2]);
  if (!(lifetime >= 1 && lifetime <= MAX_LIFETIME)) {
    throw bad(`lifetime must be "2^n" or a number of packets up to 2^48, got "${text}"`);
  }
  return lifetime;
}

function formatLifetime(lifetime: number): string {
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_LIFETIME) {
    throw bad(`lifetime must be an integer 1-2^48 packets, got ${lifetime}`);
  }
  const exponent = Math.log2(lifetime);
  return Number.isInteger(exponent) ? `2^${exponent}` : String(lifetime);
}

/** `<mki-value>:<mki-length>`: length 1–128 bytes, value fits in that many bytes. */
function parseMki(text: string): SrtpMki {
  const m = /^(\d+):(\d{1,3})$/.exec(text);
  if (m === null) throw bad(`MKI must be "<value>:<length>", got "${text}"`);
  const value = BigInt(m[1]!);
  const length = Number(m[2]);
  if (length < 1 || length > SRTP_MAX_MKI_LENGTH) {
    throw bad(`MKI length must be 1-${SRTP_MAX_MKI_LENGTH} bytes, got ${length}`);
  }
  if (value >= 1n << BigInt(8 * length)) throw bad(`MKI value ${value} does not fit in ${length} bytes`);
  return { value, length };
}

function checkSessionParam(param: string): void {
  if (param.startsWith("-") || IGNORED_SESSION_PARAMS.test(param)) return;
  throw new SrtpError("SRTP_UNSUPPORTED_PARAM", `unsupported SRTP session parameter "${param}"`);
}

function bigIntToBytes(value: bigint, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let rest = value;
  for (let k = length - 1; k >= 0; k--) {
    bytes[k] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function bad(message: string): SrtpError {
  return new SrtpError("SRTP_BAD_CRYPTO", `bad a=crypto: ${message}`);
}
