import { randomHex } from "../../lib/index.ts";
import { parseNameAddr, SipHeaderList, SipRequest, type SipResponse } from "../../sip/index.ts";
import type { SipChannel, SipTarget } from "./sip-channel.ts";

const encoder = new TextEncoder();

/** The RFC 3261 §8.1.1.7 magic cookie every branch starts with. */
const BRANCH_COOKIE = "z9hG4bK";

/** `host:port`, with IPv6 addresses in brackets (RFC 3261 §25.1 `hostport`). */
export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The dialog state an SRC keeps for one recording session (RFC 3261 §12.1.2). */
export interface SrcDialog {
  /** Call-ID of the recording session. */
  callId: string;
  /** Our From header value, tag included. */
  from: string;
  /** The To header value: without tag in the INVITE, the answer's (with tag) afterwards. */
  to: string;
  /** Request-URI of in-dialog requests: the SRS's Contact once answered. */
  remoteTarget: string;
  /** Route set from the answer's Record-Route, reversed (RFC 3261 §12.1.2). */
  routes: string[];
  /** Our Contact header value (`+sip.src`, RFC 7866 §6.1.1). */
  contact: string;
}

/** Creates the dialog identity of a new recording session toward `target`. */
export function newDialog(channel: SipChannel, target: SipTarget): SrcDialog {
  const local = hostPort(channel.localAddress, channel.localPort);
  const transport = channel.viaTransport === "TCP" ? ";transport=tcp" : "";
  const remote = `sip:srs@${hostPort(target.host, target.port)}`;
  return {
    callId: `${randomHex(12)}@${channel.localAddress.includes(":") ? `[${channel.localAddress}]` : channel.localAddress}`,
    from: `"siprec-edge simulate-call" <sip:siprec-src@${local}>;tag=${randomHex(6)}`,
    to: `<${remote}>`,
    remoteTarget: remote,
    routes: [],
    contact: `<sip:siprec-src@${local}${transport}>;+sip.src`,
  };
}

/** A new top Via for `channel` with a fresh branch (RFC 3261 §8.1.1.7) and `rport` (RFC 3581). */
export function newVia(channel: SipChannel): string {
  const sentBy = hostPort(channel.localAddress, channel.localPort);
  return `SIP/2.0/${channel.viaTransport} ${sentBy};branch=${BRANCH_COOKIE}${randomHex(10)};rport`;
}

function baseRequest(
  method: string,
  dialog: SrcDialog,
  via: string,
  cseq: number,
  uri: string = dialog.remoteTarget,
): SipRequest {
  const headers = new SipHeaderList([["Via", via]]);
  for (const route of dialog.routes) headers.append("Route", route);
  headers
    .append("Max-Forwards", "70")
    .append("From", dialog.from)
    .append("To", dialog.to)
    .append("Call-ID", dialog.callId)
    .append("CSeq", `${cseq} ${method}`);
  return new SipRequest(method, uri, { headers });
}

/** Content and correlation of the recording-session INVITE. */
export interface InviteContent {
  /** `multipart/mixed;boundary=…`. */
  contentType: string;
  /** The multipart body text. */
  body: string;
  /** UCID (hex) sent in `User-to-User: <ucid>;encoding=hex`. */
  ucid: string;
}

/**
 * The recording-session INVITE (RFC 7866 §6.1.1): `Require: siprec`, Contact with `+sip.src`, the
 * UCID in `User-to-User` (the way Avaya SBCE carries it), a multipart body with SDP and metadata.
 */
export function buildInvite(dialog: SrcDialog, via: string, content: InviteContent): SipRequest {
  const invite = baseRequest("INVITE", dialog, via, 1);
  invite.headers
    .append("Contact", dialog.contact)
    .append("Require", "siprec")
    .append("Accept", "application/sdp")
    .append("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS")
    .append("User-to-User", `${content.ucid};encoding=hex`)
    .append("User-Agent", "siprec-edge simulate-call")
    .append("MIME-Version", "1.0")
    .append("Content-Type", content.contentType);
  invite.body = encoder.encode(content.body);
  return invite;
}

/**
 * ACK of a non-2xx final response: part of the INVITE transaction, so the INVITE's Via (same
 * branch), its Request-URI and the response's To (RFC 3261 §17.1.1.3).
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers = new SipHeaderList();
  for (const name of ["Via", "Route", "Max-Forwards", "From", "Call-ID"]) {
    for (const value of invite.headers.getAll(name)) headers.append(name, value);
  }
  headers.append("To", response.header("to") ?? "").append("CSeq", `${invite.cseq?.seq ?? 1} ACK`);
  return new SipRequest("ACK", invite.uri, { headers });
}

/**
 * Updates the dialog from a 2xx to the INVITE (RFC 3261 §12.1.2): the To with the SRS's tag, the
 * remote target from its Contact, the route set from Record-Route in reverse order.
 */
export function confirmDialog(dialog: SrcDialog, answer: SipResponse): void {
  dialog.to = answer.header("to") ?? dialog.to;
  const contact = answer.headerAll("contact")[0];
  if (contact) dialog.remoteTarget = parseNameAddr(contact).uri;
  dialog.routes = answer.headerAll("record-route").reverse();
}

/** The ACK of a 2xx: a new transaction to the remote target, CSeq number of the INVITE (RFC 3261 §13.2.2.4). */
export function build2xxAck(dialog: SrcDialog, channel: SipChannel): SipRequest {
  return baseRequest("ACK", dialog, newVia(channel), 1);
}

/** The BYE that ends the recording session; it repeats `Require: siprec` as SRCs do. */
export function buildBye(dialog: SrcDialog, channel: SipChannel): SipRequest {
  const bye = baseRequest("BYE", dialog, newVia(channel), 2);
  bye.headers.append("Require", "siprec").append("User-Agent", "siprec-edge simulate-call");
  return bye;
}
