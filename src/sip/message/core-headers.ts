/**
 * Parsers of the single-value headers the transaction layer depends on (RFC 3261 §20.16 CSeq,
 * §20.8 Call-ID, §20.14 Content-Length, §20.22 Max-Forwards).
 * @module
 */
import { SipParseError } from "./errors.ts";
import { isToken } from "./grammar.ts";

/** A parsed CSeq header (RFC 3261 §20.16): sequence number (< 2^31) and method. */
export interface SipCSeq {
  /** Sequence number, 0 ≤ seq < 2^31. */
  seq: number;
  /** Method, case kept (methods are case-sensitive). */
  method: string;
}

/**
 * Parses `CSeq: 4711 INVITE`.
 * @throws SipParseError (SIP_PARSE) when the number is missing, not decimal, ≥ 2^31, or the method
 *   is not a token.
 */
export function parseCSeq(value: string): SipCSeq {
  const match = /^(\d{1,10})[ \t]+(\S+)$/.exec(value.trim());
  const seq = Number(match?.[1]);
  const method = match?.[2] ?? "";
  if (!match || seq >= 2 ** 31 || !isToken(method)) throw new SipParseError(`bad CSeq "${value}"`);
  return { seq, method };
}

/**
 * Checks a Call-ID (RFC 3261 §20.8: `word [ "@" word ]`, no whitespace) and returns it.
 * @throws SipParseError (SIP_PARSE) when empty or containing whitespace.
 */
export function parseCallId(value: string): string {
  if (value === "" || /\s/.test(value)) throw new SipParseError(`bad Call-ID "${value}"`);
  return value;
}

/**
 * Parses a non-negative decimal header value (Content-Length, Max-Forwards, Expires).
 * @throws SipParseError (SIP_PARSE) when not 1–10 decimal digits.
 */
export function parseDecimal(name: string, value: string): number {
  if (!/^\d{1,10}$/.test(value.trim())) throw new SipParseError(`bad ${name} "${value}"`);
  return Number(value.trim());
}
