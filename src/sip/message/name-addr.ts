import { SipParseError } from "./errors.ts";
import { readQuoted, skipWhitespace } from "./grammar.ts";
import { parseParams, type SipParams } from "./header-params.ts";
import { parseUri } from "./uri.ts";

/**
 * A parsed From/To/Contact/Route value (RFC 3261 §20.10, §20.20, §20.39: `name-addr` or
 * `addr-spec`, then header parameters).
 */
export interface SipNameAddr {
  /** The URI as written, without `<>`. */
  uri: string;
  /** Display name, unquoted, when present. */
  display?: string;
  /** The `tag` parameter (RFC 3261 §19.3), when present. */
  tag?: string;
  /** Header parameters after the address (names lowercased, flags as `""`). */
  params: SipParams;
}

/**
 * Whether an unquoted display name is acceptable. RFC 3261 allows only tokens separated by LWS;
 * deployed SBCs also send `@`, `(`, `)`, `:` and the like, so we accept any printable text except
 * `"`, `<`, `>` and `,` (a comma is ambiguous in list headers such as Contact; RFC 4475 §3.1.2.15).
 */
function isTolerableDisplayName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x22 || c === 0x2c || c === 0x3c || c === 0x3e) return false;
  }
  return true;
}

/**
 * Parses `"Display" <uri>;params`, `Display Name <uri>;params`, `<uri>` or `uri;params`.
 *
 * In the bare `addr-spec` form, `;params` belong to the header (RFC 3261 §20.10), and a URI
 * containing `,`, `?` or `;` must be in `<>`, so a `?` there is an error.
 * @throws SipParseError (SIP_PARSE) on an unterminated quote or `<`, a bad display name, a bad
 *   URI, or bad parameters.
 */
export function parseNameAddr(text: string): SipNameAddr {
  const value = text.trim();
  let display: string | undefined;
  let i = 0;
  if (value.startsWith('"')) {
    const quoted = readQuoted(value, 0);
    display = quoted.value;
    i = skipWhitespace(value, quoted.end);
    if (value[i] !== "<") throw new SipParseError(`expected "<" after display name in "${value}"`, i);
  }
  const lt = value.indexOf("<", i);
  let uri: string;
  let paramsStart: number;
  if (lt >= 0) {
    if (display === undefined) {
      const name = value.slice(0, lt).trim();
      if (name !== "") {
        if (!isTolerableDisplayName(name)) throw new SipParseError(`bad display name "${name}"`, 0);
        display = name;
      }
    }
    const gt = value.indexOf(">", lt);
    if (gt < 0) throw new SipParseError(`unterminated "<" in "${value}"`, lt);
    uri = value.slice(lt + 1, gt);
    paramsStart = gt + 1;
  } else {
    const semi = value.indexOf(";");
    uri = (semi < 0 ? value : value.slice(0, semi)).trim();
    paramsStart = semi < 0 ? value.length : semi;
    if (uri.includes("?")) throw new SipParseError(`URI with headers must be in "<>": "${value}"`, 0);
  }
  const parsedUri = parseUri(uri);
  const params = parseParams(value, paramsStart);
  const out: SipNameAddr = { uri: parsedUri.raw, params };
  if (display !== undefined) out.display = display;
  const tag = params.get("tag");
  if (tag !== undefined) out.tag = tag;
  return out;
}
