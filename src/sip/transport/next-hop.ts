import { isIP } from "node:net";
import { parseUri } from "../message/uri.ts";
import { SipTransportError } from "./errors.ts";
import type { SipTransportName } from "./listen-spec.ts";

/**
 * The next hop a request is sent to: one resolved target of RFC 3263 §4 (the resolver's `SipTarget`
 * fits as it is), or an outbound proxy (RFC 3261 §8.1.2). `address` is an IP literal: name resolution
 * happens before the stack is called.
 */
export interface SipNextHop {
  /** Transport to use (`sips:` URIs imply `tls`, RFC 3261 §26.2). */
  transport: SipTransportName;
  /** IP address (IPv6 without brackets). */
  address: string;
  /** Port. */
  port: number;
  /**
   * TLS only: the SIP domain the server certificate must match, also sent as SNI (RFC 5922 §4, §7.2:
   * the host of the URI, whatever SRV target it resolved to). Unset or an IP literal: the certificate
   * must carry `address` as an IP subjectAltName.
   */
  domain?: string;
}

/** Default port of a transport: 5061 for TLS, 5060 otherwise (RFC 3261 §19.1.2). */
export function defaultPortOf(transport: SipTransportName): number {
  return transport === "tls" ? 5061 : 5060;
}

/**
 * The next hop of a SIP/SIPS URI whose host is an IP literal (RFC 3263 §4.1/§4.2 for numeric hosts):
 * transport from `sips:` (TLS) or `;transport=` (default UDP), port from the URI or the default.
 * `sip:10.0.0.5;transport=tcp` → `{ transport: "tcp", address: "10.0.0.5", port: 5060 }`.
 * @throws SipTransportError (SIP_TRANSPORT) for a non-SIP URI, a host name (resolve it with RFC 3263
 *   first), or an unsupported transport parameter.
 */
export function nextHopFromUri(uri: string): SipNextHop {
  let parsed: ReturnType<typeof parseUri>;
  try {
    parsed = parseUri(uri);
  } catch (err) {
    throw new SipTransportError(`bad target URI "${uri}"`, { cause: err });
  }
  if (parsed.scheme !== "sip" && parsed.scheme !== "sips") {
    throw new SipTransportError(`target URI "${uri}" is not sip: or sips:`);
  }
  const address = parsed.host.startsWith("[") ? parsed.host.slice(1, -1) : parsed.host;
  if (isIP(address) === 0) throw new SipTransportError(`target URI "${uri}" names a host: resolve it first`);
  const param = parsed.params.get("transport")?.toLowerCase();
  let transport: SipTransportName;
  if (parsed.scheme === "sips") transport = "tls";
  else if (param === undefined || param === "udp") transport = "udp";
  else if (param === "tcp" || param === "tls") transport = param;
  else throw new SipTransportError(`target URI "${uri}": unsupported transport "${param}"`);
  return { transport, address, port: parsed.port ?? defaultPortOf(transport) };
}

/** Formats a next hop for logs: `tls:10.0.0.5:5061` (`[::1]` for IPv6), ` (domain)` appended when set. */
export function formatNextHop(hop: SipNextHop): string {
  const address = hop.address.includes(":") ? `[${hop.address}]` : hop.address;
  const domain = hop.domain === undefined || hop.domain === hop.address ? "" : ` (${hop.domain})`;
  return `${hop.transport}:${address}:${hop.port}${domain}`;
}
