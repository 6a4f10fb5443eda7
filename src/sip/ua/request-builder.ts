import { SipHeaderList } from "../message/headers.ts";
import { SipRequest } from "../message/request.ts";
import { headersFromInvite } from "../transaction/invite-client-tx.ts";
import type { SipEndpoint } from "../transport/listen-spec.ts";

const encoder = new TextEncoder();

/** The parts of a request the UA core fills (RFC 3261 §8.1.1); the transaction layer adds the Via. */
export interface RequestParts {
  /** Method. */
  method: string;
  /** Request-URI. */
  uri: string;
  /** From header value, tag included. */
  from: string;
  /** To header value (with the peer's tag inside a dialog). */
  to: string;
  /** Call-ID. */
  callId: string;
  /** CSeq number (the method is `method`). */
  cseq: number;
  /** Contact header value (INVITE, target-refresh requests). */
  contact?: string;
  /** Route header values, in order (the dialog's route set, RFC 3261 §12.2.1.1). */
  routes?: readonly string[];
  /** Extra headers, in order. */
  headers?: Record<string, string | string[]>;
  /** Body. */
  body?: Uint8Array | string;
  /** Content-Type of the body. */
  contentType?: string;
}

/**
 * Builds a request (RFC 3261 §8.1.1): Max-Forwards 70, Route, From, To, Call-ID, CSeq, Contact, the
 * extra headers, Content-Type and Content-Length, in that order.
 */
export function buildRequest(parts: RequestParts): SipRequest {
  const headers = new SipHeaderList();
  headers.append("Max-Forwards", "70");
  for (const route of parts.routes ?? []) headers.append("Route", route);
  headers.append("From", parts.from);
  headers.append("To", parts.to);
  headers.append("Call-ID", parts.callId);
  headers.append("CSeq", `${parts.cseq} ${parts.method}`);
  if (parts.contact !== undefined) headers.append("Contact", parts.contact);
  for (const [name, value] of Object.entries(parts.headers ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const body =
    typeof parts.body === "string" ? encoder.encode(parts.body) : (parts.body ?? new Uint8Array(0));
  if (parts.contentType !== undefined) headers.set("Content-Type", parts.contentType);
  headers.set("Content-Length", String(body.length));
  return new SipRequest(parts.method, parts.uri, { headers, body });
}

/** Headers a CANCEL copies from its INVITE. */
const cancelCopies: ReadonlySet<string> = new Set(["route", "from", "to", "call-id"]);

/**
 * The CANCEL of a pending INVITE (RFC 3261 §9.1): same Request-URI, Call-ID, From, To, CSeq number and
 * Route, and the INVITE's top Via alone (so it reaches the same server transaction); no body.
 */
export function buildCancel(invite: SipRequest): SipRequest {
  const headers = headersFromInvite(invite, cancelCopies);
  headers.append("CSeq", `${invite.cseq?.seq ?? 1} CANCEL`);
  headers.append("Content-Length", "0");
  return new SipRequest("CANCEL", invite.uri, { headers });
}

/** `value` as a name-addr: kept when it has `<…>`, else wrapped (`sip:a@b` → `<sip:a@b>`). */
export function asNameAddr(value: string): string {
  return value.includes("<") ? value : `<${value}>`;
}

/** `address` as a URI host: IPv6 in brackets. */
export function uriHost(address: string): string {
  return address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
}

/**
 * Our Contact (RFC 3261 §8.1.1.8, RFC 5630 §3.1.3): `sips:` when the Request-URI is SIPS, else `sip:`
 * with `;transport=tcp|tls` for stream transports, at the address and port the peer can reach.
 */
export function contactFor(local: SipEndpoint, requestUri: string, user: string, params = ""): string {
  const sips = requestUri.toLowerCase().startsWith("sips:");
  const scheme = sips ? "sips" : "sip";
  const transport = sips || local.transport === "udp" ? "" : `;transport=${local.transport}`;
  return `<${scheme}:${user}@${uriHost(local.address)}:${local.port}${transport}>${params}`;
}
