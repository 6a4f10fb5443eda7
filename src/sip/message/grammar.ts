/**
 * Small RFC 3261 §25.1 grammar helpers shared by the header parsers (token, quoted-string, host).
 * @module
 */
import { SipParseError } from "./errors.ts";

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
const tokenChars = new Uint8Array(128);
for (const ch of "-.!%*_+`'~") tokenChars[ch.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) tokenChars[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) tokenChars[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) tokenChars[c] = 1;

/** Whether `text` is a non-empty RFC 3261 `token`. */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || tokenChars[c] !== 1) return false;
  }
  return true;
}

/** Whether `c` is SP or HTAB (or CR/LF left over from folding). */
export function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** Index of the first non-whitespace character of `text` at or after `i`. */
export function skipWhitespace(text: string, i: number): number {
  let j = i;
  while (j < text.length && isWhitespace(text.charCodeAt(j))) j++;
  return j;
}

/**
 * Reads a `quoted-string` starting at the `"` at `start`; returns the unescaped content and the index
 * after the closing quote.
 * @throws SipParseError (SIP_PARSE) when the closing quote is missing.
 */
export function readQuoted(text: string, start: number): { value: string; end: number } {
  let out = "";
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\") {
      out += text[i + 1] ?? "";
      i++;
    } else if (ch === '"') {
      return { value: out, end: i + 1 };
    } else {
      out += ch;
    }
  }
  throw new SipParseError("unterminated quoted string", start);
}

const hostnamePattern =
  /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;
const ipv6Pattern = /^\[[0-9A-Fa-f:.]+(%[0-9A-Za-z._~-]+)?\]$/;

/**
 * Whether `host` is an RFC 3261 §25.1 `host`: hostname, IPv4address or `[IPv6reference]`
 * (underscores tolerated in labels, as deployed DNS names use them).
 */
export function isHost(host: string): boolean {
  if (host.startsWith("[")) return ipv6Pattern.test(host) && host.split(":").length >= 3;
  return hostnamePattern.test(host);
}

/**
 * Splits `host[:port]` (IPv6 in brackets) into host and port.
 * @throws SipParseError (SIP_PARSE) on a bad host or a port outside 0–65535.
 */
export function parseHostPort(text: string): { host: string; port?: number } {
  let host = text;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw new SipParseError(`bad IPv6 reference "${text}"`);
    host = text.slice(0, close + 1);
    const rest = text.slice(close + 1).trim();
    if (rest !== "") {
      if (!rest.startsWith(":")) throw new SipParseError(`bad host "${text}"`);
      portText = rest.slice(1).trim();
    }
  } else {
    const colon = text.indexOf(":");
    if (colon >= 0) {
      host = text.slice(0, colon).trim();
      portText = text.slice(colon + 1).trim();
    }
  }
  if (!isHost(host)) throw new SipParseError(`bad host "${host}"`);
  if (portText === undefined) return { host };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new SipParseError(`bad port "${portText}"`);
  }
  return { host, port: Number(portText) };
}
