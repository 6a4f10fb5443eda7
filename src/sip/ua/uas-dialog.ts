import type { Logger } from "../../lib/index.ts";
import {
  defaultSessionExpiresS,
  minimumMinSeS,
  negotiatedTimer,
  peerTimerRequest,
  remoteRefreshTerms,
} from "../dialog/session-timer.ts";
import { parseNameAddr } from "../message/name-addr.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import { isStreamTransport, type SipEndpoint } from "../transport/listen-spec.ts";
import { nextHopFromUri, type SipNextHop } from "../transport/next-hop.ts";
import type { IncomingRequestImpl } from "./incoming-request.ts";
import { withTimerHeaders } from "./remote-refresh.ts";
import { contactFor } from "./request-builder.ts";
import type { DialogTimerSettings, SessionDialogSetup } from "./session-dialog-types.ts";

/** Session timers of the INVITEs we answer (RFC 4028 §9), resolved from `SipStackOptions.sessionTimer`. */
export interface UasTimerSettings {
  /** Our Min-SE: the smallest Session-Expires we accept, seconds (at least 90, RFC 4028 §5). */
  minSeS: number;
}

/** Resolves `SipStackOptions.sessionTimer`: `false` → none; else Min-SE at least 90 s (RFC 4028 §5). */
export function uasTimerSettings(
  option: { minSeS?: number } | false | undefined,
): UasTimerSettings | undefined {
  if (option === false) return undefined;
  return { minSeS: Math.max(minimumMinSeS, option?.minSeS ?? minimumMinSeS) };
}

/**
 * Applies RFC 4028 §9 to an initial INVITE before its handler runs: a Session-Expires below our Min-SE
 * from a peer that supports timers is answered 422 with our Min-SE here; otherwise every 2xx the
 * handler sends gets `Session-Expires: N;refresher=uac|uas` (the peer's interval and refresher; `uac`
 * when it left the choice open and supports timers, `uas` when it does not) and `Require: timer` when
 * the peer supports timers. An INVITE without Session-Expires gets no session timer.
 * @returns `false` when the INVITE was answered here (no handler must run).
 */
export function admitInitialInvite(
  incoming: IncomingRequestImpl,
  settings: UasTimerSettings | undefined,
  logger: Logger,
): boolean {
  if (!settings) return true;
  const terms = remoteRefreshTerms(peerTimerRequest(incoming.message), undefined, settings.minSeS);
  if (terms.rejectMinSeS !== undefined) {
    logger.info("INVITE refused: Session-Expires below our Min-SE", {
      code: "SIP_422",
      callId: incoming.message.callId ?? "",
      sessionExpires: incoming.message.header("session-expires") ?? "",
      minSeS: terms.rejectMinSeS,
    });
    incoming.reply(422, undefined, { headers: { "Min-SE": String(terms.rejectMinSeS) } });
    return false;
  }
  const { sessionExpires, requireTimer } = terms;
  incoming.setReplyHook((status, options) =>
    status >= 200 && status < 300 ? withTimerHeaders(options, sessionExpires, requireTimer) : options,
  );
  return true;
}

/**
 * The dialog state a UAS sets up with its 2xx (`response`) to `invite` (RFC 3261 §12.1.1): route set
 * from the INVITE's Record-Route in order, remote target from its Contact, remote CSeq from its CSeq,
 * our From/Contact from the 2xx; the session timer the 2xx negotiated (RFC 4028 §9); refreshes by UPDATE
 * when the peer's Allow lists it.
 *
 * Next hop of our requests (RFC 3261 §12.2.1.1, §8.1.2): the first route, else the remote target, when
 * its host is an IP literal, else where the INVITE came from. Over TCP/TLS the connection the INVITE
 * came on is used first (reuse as in RFC 5923: it crosses NAT, and TLS needs no new handshake), and
 * that next hop only when it has closed.
 */
export function uasDialogSetup(
  invite: SipRequest,
  localTag: string,
  response: SipResponse,
  flow: { source: SipEndpoint; local: SipEndpoint },
  settings: UasTimerSettings | undefined,
): SessionDialogSetup {
  const remoteTarget = uriOf(invite.headers.get("contact")) ?? invite.uri;
  const routeSet = invite.headers.values("record-route");
  const routed = routeSet[0] === undefined ? remoteTarget : (uriOf(routeSet[0]) ?? remoteTarget);
  const source: SipNextHop = {
    transport: flow.source.transport,
    address: flow.source.address,
    port: flow.source.port,
  };
  const hop = hopOf(routed);
  const overStream = isStreamTransport(flow.source.transport);
  const sessionTimer = settings ? negotiatedTimer(response.headers.get("session-expires"), "uas") : undefined;
  const timer: DialogTimerSettings | undefined = settings && {
    expiresS: sessionTimer?.intervalS ?? defaultSessionExpiresS,
    minSeS: settings.minSeS,
  };
  const allow = invite.headerAll("allow").map((method) => method.trim().toUpperCase());
  return {
    callId: invite.callId ?? "",
    localTag,
    remoteTag: invite.from?.tag ?? "",
    from: response.headers.get("to") ?? "",
    to: invite.headers.get("from") ?? "",
    contact: response.headers.get("contact") ?? contactFor(flow.local, invite.uri, "uas"),
    remoteTarget,
    routeSet,
    target: overStream ? source : (hop ?? source),
    ...(overStream && hop && !sameHop(hop, source) ? { fallbackTarget: hop } : {}),
    localCSeq: 0,
    remoteCSeq: invite.cseq?.seq,
    initialState: "early",
    localSdp: sdpOf(response),
    timer,
    sessionTimer,
    refreshKeepsTimer: !peerTimerRequest(invite).supportsTimer,
    refreshWithUpdate: allow.includes("UPDATE"),
  };
}

/** The URI of a name-addr header value, or `undefined` when it does not parse. */
function uriOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseNameAddr(value).uri;
  } catch {
    return undefined;
  }
}

/** The next hop of a URI with an IP-literal host; `undefined` for host names (and bad URIs). */
function hopOf(uri: string): SipNextHop | undefined {
  try {
    return nextHopFromUri(uri);
  } catch {
    return undefined;
  }
}

function sameHop(a: SipNextHop, b: SipNextHop): boolean {
  return a.transport === b.transport && a.address === b.address && a.port === b.port;
}

/** The SDP body of our 2xx, if it has one. */
function sdpOf(response: SipResponse): string | undefined {
  const type = response.headers.get("content-type")?.toLowerCase() ?? "";
  return type.startsWith("application/sdp") && response.body.length > 0 ? response.bodyText : undefined;
}
