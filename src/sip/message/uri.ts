import { SipParseError } from "./errors.ts";
import { parseHostPort } from "./grammar.ts";
import type { SipParams } from "./header-params.ts";

/**
 * A parsed URI. For `sip:`/`sips:` (RFC 3261 §19.1.1) every part is filled; for other schemes
 * (`tel:`, `urn:`, `http:`…) only `scheme`, `opaque` and `raw` are, and `host` is `""`.
 * Escapes (`%41`) are kept as written.
 */
export interface SipUri {
  /** The URI as written. */
  raw: string;
  /** Lowercase scheme, e.g. `sip`, `sips`, `tel`. */
  scheme: string;
  /** User part (before `@`), as written. */
  user?: string;
  /** Password part (`user:password@`), as written. */
  password?: string;
  /** Host: hostname, IPv4 address or `[IPv6]`. */
  host: string;
  /** Port, when written. */
  port?: number;
  /** URI parameters (`;transport=tcp;lr`), names lowercased, flags as `""`. */
  params: SipParams;
  /** URI headers (`?name=value&…`), as written. */
  headers: Map<string, string>;
  /** Everything after `scheme:` for non-SIP schemes. */
  opaque?: string;
}

const schemePattern = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * Parses a URI: SIP/SIPS URIs fully (RFC 3261 §19.1.1), any other absolute URI (RFC 3986 scheme)
 * as scheme + opaque part.
 * @throws SipParseError (SIP_PARSE) without a scheme, with whitespace, an empty user, a bad host or
 *   port, or an empty parameter name.
 */
export function parseUri(text: string): SipUri {
  const match = schemePattern.exec(text);
  if (!match?.[1]) throw new SipParseError(`URI without scheme "${text}"`);
  if (/[\s<>"]/.test(text)) throw new SipParseError(`URI with whitespace, quote or angle bracket "${text}"`);
  const scheme = match[1].toLowerCase();
  const rest = text.slice(match[0].length);
  if (scheme !== "sip" && scheme !== "sips") {
    if (rest === "") throw new SipParseError(`empty URI "${text}"`);
    return { raw: text, scheme, host: "", params: new Map(), headers: new Map(), opaque: rest };
  }
  const uri: SipUri = { raw: text, scheme, host: "", params: new Map(), headers: new Map() };
  let hostStart = 0;
  const at = rest.indexOf("@");
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(":");
    uri.user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (colon >= 0) uri.password = userinfo.slice(colon + 1);
    if (uri.user === "") throw new SipParseError(`empty user in "${text}"`);
    hostStart = at + 1;
  }
  let hostEnd = hostStart;
  while (hostEnd < rest.length && rest[hostEnd] !== ";" && rest[hostEnd] !== "?") hostEnd++;
  const hostPort = parseHostPort(rest.slice(hostStart, hostEnd));
  uri.host = hostPort.host;
  if (hostPort.port !== undefined) uri.port = hostPort.port;
  const question = rest.indexOf("?", hostEnd);
  const paramText = rest.slice(hostEnd, question < 0 ? rest.length : question);
  for (const part of paramText.split(";").slice(1)) {
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    if (name === "") throw new SipParseError(`empty URI parameter in "${text}"`);
    uri.params.set(name, eq < 0 ? "" : part.slice(eq + 1));
  }
  if (question >= 0) {
    for (const part of rest.slice(question + 1).split("&")) {
      const eq = part.indexOf("=");
      if (eq <= 0) throw new SipParseError(`bad URI header "${part}" in "${text}"`);
      uri.headers.set(part.slice(0, eq), part.slice(eq + 1));
    }
  }
  return uri;
}
