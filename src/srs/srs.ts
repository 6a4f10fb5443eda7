import { BlockList, isIPv6 } from "node:net";
import { errorCode, errorMessage, silentLogger, systemClock, TypedEmitter } from "../lib/index.ts";
import { parseSdp } from "../sdp/index.ts";
import type { DialogTerminationReason, IncomingRequest, SessionDialog } from "../sip/index.ts";
import { SipStatusError } from "../sip/index.ts";
import type { RecordingBody, RecordingMetadata } from "../siprec/index.ts";
import { extractCorrelation, mergeMetadata, parseMetadata, splitRecordingBody } from "../siprec/index.ts";
import { answerMedia, decideMedia, type MediaDecision, type OfferContext } from "./answer.ts";
import { buildAnswerSdp } from "./answer-sdp.ts";
import { RecordingSession, type SessionContext } from "./recording-session.ts";
import type { Admission, SrsObserverEvents, SrsOptions, StreamStopReason } from "./srs-types.ts";

/** Methods the SRS answers (the `Allow` header of OPTIONS and 405s). */
export const allowedMethods = "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO";

/**
 * The Session Recording Server (RFC 7866): answers SIPREC INVITEs, records their media, follows
 * re-INVITE/UPDATE/BYE, and answers OPTIONS consistently with INVITE (503 with `Retry-After`
 * whenever a new INVITE would get 503, DESIGN.md §2). Session timers (RFC 4028) are the SIP stack's:
 * when the SRC stops refreshing (or our refresh fails) the stack sends BYE and the recording session
 * ends with reason `session-expired`, logged with code `SIP_SESSION_EXPIRED`.
 */
export interface Srs {
  /** Monitoring events: sessions and streams starting/stopping, rejections. */
  readonly observer: TypedEmitter<SrsObserverEvents>;
  /** Live recording sessions. */
  sessions(): RecordingSession[];
  /**
   * The live session of a call, addressed by our call id (`sessionId` in events and the API) or by
   * any of its correlation ids (UCID, Cisco GUID, SIP Call-ID, SIPREC session id…); the most
   * recent session wins when a correlation id is shared (a transferred call's two legs).
   */
  find(ref: { sessionId: string } | { correlationId: string }): RecordingSession | undefined;
  /** Replaces the SRC source allowlist (`sip.allow_from`, CIDR blocks; empty = allow all): config reload. */
  setAllowFrom(cidrs: readonly string[]): void;
  /** Ends every live session (reason `shutdown`). */
  endAll(): void;
}

/** Registers the SRS handlers on `options.sip` and returns the SRS. */
export function createSrs(options: SrsOptions): Srs {
  const logger = (options.logger ?? silentLogger).child({ component: "srs" });
  const observer = new TypedEmitter<SrsObserverEvents>();
  const ctx: SessionContext = {
    spool: options.spool,
    frames: options.frames,
    ports: options.ports,
    mediaAddress: options.mediaAddress,
    reorderMs: options.reorderMs ?? 60,
    latch: options.latch ?? false,
    roles: options.roles,
    clock: options.clock ?? systemClock,
    logger,
    observer,
    captures: options.captures,
  };
  const byDialog = new Map<string, RecordingSession>();
  let allow = buildAllowList(options.allowFrom);
  const admission = options.admission ?? ((): Admission => ({ accept: true }));

  const refuse = (
    req: IncomingRequest,
    status: number,
    reason: string,
    headers?: Record<string, string>,
  ): never => {
    const m = req.message;
    observer.safeEmit("rejected", {
      method: m.method,
      status,
      reason,
      source: `${req.source.address}:${req.source.port}`,
      callId: m.callId ?? "",
    });
    logger.warn("request refused", {
      code: `SIP_${status}`,
      method: m.method,
      reason,
      sipCallId: m.callId ?? "",
      source: req.source.address,
    });
    throw new SipStatusError(status, reason, headers ? { headers } : undefined);
  };

  const checkAdmission = (req: IncomingRequest): void => {
    if (allow && !allow.check(req.source.address, isIPv6(req.source.address) ? "ipv6" : "ipv4")) {
      refuse(req, 403, "Source Not In sip.allow_from");
    }
    const verdict = admission();
    if (!verdict.accept) refuse(req, 503, verdict.reason, { "Retry-After": String(verdict.retryAfterS) });
  };

  options.sip.onRequest("OPTIONS", (req) => {
    checkAdmission(req);
    req.reply(200, "OK", {
      headers: {
        Allow: allowedMethods,
        Accept: "application/sdp, application/rs-metadata+xml",
        Supported: "siprec",
      },
    });
  });

  options.sip.onRequest("INVITE", async (req) => {
    const existing = req.dialog ? byDialog.get(req.dialog.id) : undefined;
    if (req.dialog) {
      if (!existing) refuse(req, 481, "Call/Transaction Does Not Exist");
      return reoffer(req, existing as RecordingSession);
    }
    checkAdmission(req);
    const body = splitBody(req, true);
    const offered = parseOffer(req, body.sdp);
    const metadata = body.metadata ? parseMetadataOr400(req, body.metadata.xml) : undefined;
    const decisions = decideMedia(offered, offerContext(req));
    if (!decisions.some((d) => d.audio)) refuse(req, 488, noMediaReason(decisions));
    const m = req.message;
    const session = new RecordingSession(ctx, {
      sipCallId: m.callId ?? "",
      source: `${req.source.address}:${req.source.port}`,
      correlation: { sipCallId: m.callId ?? "", ...extractCorrelation((name) => m.header(name), metadata) },
    });
    try {
      await session.openMedia(decisions, offered);
    } catch (err) {
      logger.error("no media ports for a new recording session", {
        code: errorCode(err),
        error: errorMessage(err),
      });
      refuse(req, 503, "Media Ports Exhausted", { "Retry-After": "30" });
    }
    if (req.cancelled.aborted) {
      session.abandon();
      return;
    }
    session.commit(metadata, body.metadata?.xml ?? "", {
      requestUri: m.uri,
      sourceAddress: req.source.address,
      header: (name) => m.header(name),
    });
    session.startCapture(advertised(req));
    const dialog = req.reply(200, "OK", answer(req, session, decisions));
    if (!dialog) {
      session.end("error");
      return;
    }
    byDialog.set(dialog.id, session);
    dialog.on("terminated", (why) => {
      byDialog.delete(dialog.id);
      const reason = stopReasonOf(why);
      if (reason === "session-expired" && !session.closed) logExpiry(session, dialog, why);
      session.end(reason);
    });
    logger.info("recording session started", {
      callId: session.call.callId,
      sipCallId: session.call.sipCallId,
      source: session.call.source,
      streams: session.streamStatus().map((s) => `${s.stream.label}:${s.stream.codec}`),
    });
  });

  options.sip.onRequest("UPDATE", async (req) => {
    const session = req.dialog ? byDialog.get(req.dialog.id) : undefined;
    if (!session) return refuse(req, 481, "Call/Transaction Does Not Exist");
    return reoffer(req, session);
  });

  options.sip.onRequest("INFO", (req) => {
    if (!req.dialog || !byDialog.has(req.dialog.id)) refuse(req, 481, "Call/Transaction Does Not Exist");
    req.reply(200, "OK");
  });

  options.sip.onRequest("BYE", (req) => {
    const session = req.dialog ? byDialog.get(req.dialog.id) : undefined;
    if (!session) return refuse(req, 481, "Call/Transaction Does Not Exist");
    const body = req.message.body.length > 0 ? trySplit(req) : undefined;
    if (body?.metadata) applyMetadata(req, session, body.metadata.xml);
    req.reply(200, "OK");
    session.end("bye");
    logger.info("recording session completed", {
      callId: session.call.callId,
      sipCallId: session.call.sipCallId,
      reason: "bye",
    });
  });

  /**
   * The recording session ends because its dialog expired (RFC 4028 §10): the SRC, refresher, sent no
   * refresh in time (`session-expired`), our own refresh failed (`refresh-failed`), or the SRC no longer
   * knows the dialog (`gone`). In each case we sent BYE (or the SRC is gone) and the SBC has vanished.
   */
  function logExpiry(session: RecordingSession, dialog: SessionDialog, why: DialogTerminationReason): void {
    logger.warn("recording session expired: the SRC no longer keeps its session alive", {
      code: "SIP_SESSION_EXPIRED",
      cause: why,
      callId: session.call.callId,
      sipCallId: session.call.sipCallId,
      source: session.call.source,
      sessionExpiresS: dialog.sessionTimer?.intervalS ?? 0,
      refresher: dialog.sessionTimer?.refresher === "local" ? "srs" : "src",
    });
  }

  /** re-INVITE or UPDATE: new SDP and/or metadata; directions always answered afresh (RFC 7866 §7.1.2). */
  async function reoffer(req: IncomingRequest, session: RecordingSession): Promise<void> {
    const body = splitBody(req, false);
    if (body.metadata) applyMetadata(req, session, body.metadata.xml);
    if (!body.sdp) {
      req.reply(200, "OK");
      return;
    }
    const offered = parseOffer(req, body.sdp);
    const decisions = decideMedia(offered, offerContext(req), session.decisions());
    if (!decisions.some((d) => d.audio)) refuse(req, 488, noMediaReason(decisions));
    if (!session.sameMedia(decisions)) {
      try {
        await session.replaceMedia(decisions, offered);
      } catch (err) {
        logger.error("no media ports for a re-INVITE", { code: errorCode(err), error: errorMessage(err) });
        refuse(req, 503, "Media Ports Exhausted", { "Retry-After": "30" });
      }
    }
    session.applyDirections(decisions);
    req.reply(200, "OK", answer(req, session, decisions));
  }

  function applyMetadata(req: IncomingRequest, session: RecordingSession, xml: string): void {
    const update = parseMetadataOr400(req, xml);
    session.updateMetadata(mergeMetadata(session.metadata, update), xml);
  }

  function answer(req: IncomingRequest, session: RecordingSession, decisions: MediaDecision[]) {
    const address = advertised(req);
    const sdp = buildAnswerSdp(session, address, answerMedia(decisions, session.ports()));
    return {
      body: sdp,
      contentType: "application/sdp",
      headers: { Contact: contactFor(req), Allow: allowedMethods, Supported: "siprec" },
    };
  }

  function advertised(req: IncomingRequest): string {
    if (options.advertiseAddress) return options.advertiseAddress;
    if (!isWildcard(options.mediaAddress)) return options.mediaAddress;
    return isWildcard(req.local.address) ? requestHost(req) : req.local.address;
  }

  /** Our Contact: a SIPS URI when the INVITE came over TLS or to a SIPS Request-URI (RFC 3261 §12.1.1, RFC 5630). */
  function contactFor(req: IncomingRequest): string {
    const host = isWildcard(req.local.address) ? requestHost(req) : req.local.address;
    const h = isIPv6(host) ? `[${host}]` : host;
    if (req.local.transport === "tls" || /^sips:/i.test(req.message.uri)) {
      return `<sips:srs@${h}:${req.local.port}>;+sip.srs`;
    }
    return `<sip:srs@${h}:${req.local.port};transport=${req.local.transport}>;+sip.srs`;
  }

  function splitBody(req: IncomingRequest, initial: boolean): RecordingBody {
    const m = req.message;
    if (m.body.length === 0) {
      if (initial) refuse(req, 488, "Offer Required (delayed-offer INVITE not supported)");
      return { sdp: "", ignoredParts: [] };
    }
    try {
      return splitRecordingBody(m.header("content-type"), m.body);
    } catch (err) {
      const status = (err as { status?: number }).status ?? 400;
      return refuse(req, status, reasonFor(status, errorMessage(err)));
    }
  }

  function trySplit(req: IncomingRequest): RecordingBody | undefined {
    try {
      return splitRecordingBody(req.message.header("content-type"), req.message.body);
    } catch {
      return undefined;
    }
  }

  function parseOffer(req: IncomingRequest, sdp: string) {
    if (!sdp) refuse(req, 415, "Unsupported Media Type (no application/sdp part)");
    try {
      return parseSdp(sdp).media;
    } catch (err) {
      return refuse(req, 400, `Malformed SDP (${errorMessage(err)})`);
    }
  }

  function parseMetadataOr400(req: IncomingRequest, xml: string): RecordingMetadata {
    try {
      return parseMetadata(xml);
    } catch (err) {
      return refuse(req, 400, `Malformed rs-metadata (${errorMessage(err)})`);
    }
  }

  return {
    observer,
    sessions: () => [...byDialog.values()],
    find: (ref) => {
      let found: RecordingSession | undefined;
      for (const session of byDialog.values()) {
        const call = session.call;
        const match =
          "sessionId" in ref
            ? call.callId === ref.sessionId
            : Object.values(call.correlation).includes(ref.correlationId);
        if (match && (!found || call.startedUs >= found.call.startedUs)) found = session;
      }
      return found;
    },
    setAllowFrom: (cidrs) => {
      allow = buildAllowList(cidrs);
    },
    endAll: () => {
      for (const session of byDialog.values()) session.end("shutdown");
      byDialog.clear();
    },
  };
}

/**
 * Why a recording session ends when its dialog does: BYE and no-ack as such; a session timer that
 * expired, a failed refresh of ours and a dialog the SRC no longer knows all mean the SRC vanished
 * (`session-expired`, RFC 4028 §10); anything else is a local end (`shutdown`).
 */
function stopReasonOf(why: DialogTerminationReason): StreamStopReason {
  switch (why) {
    case "bye":
    case "no-ack":
    case "session-expired":
      return why;
    case "refresh-failed":
    case "gone":
      return "session-expired";
    default:
      return "shutdown";
  }
}

/** SDES-SRTP only over TLS signalling (RFC 4568 §8.3): the keys travel in the SDP. */
function offerContext(req: IncomingRequest): OfferContext {
  return { secureSignalling: req.local.transport === "tls" };
}

/** The 488's reason phrase: what the SRC must change. */
function noMediaReason(decisions: MediaDecision[]): string {
  if (decisions.some((d) => d.refusal === "srtp-needs-tls"))
    return "Not Acceptable Here (SRTP needs TLS signalling: use sips: or transport=tls)";
  if (decisions.some((d) => d.refusal === "srtp-unsupported"))
    return "Not Acceptable Here (SRTP suite not supported: AES_CM_128_HMAC_SHA1_80 or _32)";
  return "No Acceptable Media (PCMU or PCMA audio needed)";
}

function reasonFor(status: number, detail: string): string {
  const base = status === 415 ? "Unsupported Media Type" : "Bad Request";
  return `${base} (${detail.replace(/[\r\n]+/g, " ").slice(0, 120)})`;
}

function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "";
}

function requestHost(req: IncomingRequest): string {
  const m = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^:;>]+)/i.exec(req.message.uri);
  return (m?.[1] ?? "127.0.0.1").replace(/^\[|\]$/g, "");
}

function buildAllowList(cidrs: readonly string[]): BlockList | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net = "", bits] = cidr.split("/");
    const type = isIPv6(net) ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(net, type);
    else list.addSubnet(net, Number(bits), type);
  }
  return list;
}
