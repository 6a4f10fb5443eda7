import {
  createSipStack,
  type IncomingRequest,
  type SipStack,
  serializeMessage,
} from "../../src/sip/index.ts";
import { formatCryptoAttribute, generateKeyMaterial, parseCryptoAttribute } from "../../src/srtp/index.ts";
import { openRtpCapture, type RtpCapture } from "./rtp-capture.ts";
import { type RecordingOffer, readRecordingOffer } from "./sdp-text.ts";
import { parseSipText, type SipText } from "./sip-text.ts";

/**
 * How a {@link RemoteSrs} behaves:
 * - `accept`: OPTIONS 200, INVITE 200 with an SDP answer;
 * - `refuse`: OPTIONS 200 but INVITE 503 (the SRS that looks alive and refuses work);
 * - `unavailable`: OPTIONS 503 and INVITE 503 (down for maintenance).
 */
export type RemoteSrsMode = "accept" | "refuse" | "unavailable";

/** One INVITE a {@link RemoteSrs} received (initial INVITEs only; re-INVITEs are answered, not kept). */
export interface RemoteSrsInvite {
  /** The INVITE as it came off the wire (parsed by the tests' own reader). */
  message: SipText;
  /** Its SIPREC body, or the error that made it unreadable. */
  offer: RecordingOffer | Error;
  /** What we answered. */
  status: number;
  /** One capture per offered m-line, in m-line order, when answered 200. */
  captures: RtpCapture[];
  /** Whether the SRC sent BYE for it. */
  ended: boolean;
}

/** Options of {@link startRemoteSrs}. */
export interface RemoteSrsOptions {
  transport: "udp" | "tcp" | "tls";
  /** Port on 127.0.0.1. @default 0 (any free port) */
  port?: number;
  /** PEM text: certificate, key (both needed for `tls`) and CA. */
  tls?: { cert: string; key: string; ca?: string };
  /** @default "accept" */
  mode?: RemoteSrsMode;
}

/** A remote SIPREC SRS played by the tests with the project's own SIP stack (SIPp 3.6.1 has no TLS). */
export interface RemoteSrs {
  /** SIP port on 127.0.0.1 (the same across `restart`). */
  readonly port: number;
  /** Current behaviour. */
  mode: RemoteSrsMode;
  /** Every initial INVITE received, in order. */
  readonly invites: RemoteSrsInvite[];
  /** OPTIONS received. */
  options(): number;
  /** Stops listening (the target is down: over TCP/TLS connections are refused). Idempotent. */
  stop(): Promise<void>;
  /** Listens again on the same port (after `stop`). */
  restart(): Promise<void>;
  /** Stops and closes every RTP capture. */
  close(): Promise<void>;
}

/**
 * Starts a remote SIPREC SRS on 127.0.0.1 that answers the appliance's recording sessions: in `accept`
 * mode each INVITE gets 200 with an SDP-only answer (RFC 7866 §9) with one `recvonly` m-line per offered
 * one, on its own UDP capture port, with the offer's first payload type, profile and label; an
 * `RTP/SAVP` m-line gets our own `a=crypto` with the offer's tag (RFC 4568 §5.1.2). BYE gets 200.
 */
export async function startRemoteSrs(options: RemoteSrsOptions): Promise<RemoteSrs> {
  const invites: RemoteSrsInvite[] = [];
  const byCallId = new Map<string, RemoteSrsInvite>();
  let optionsCount = 0;
  let stack: SipStack | undefined;
  let port = options.port ?? 0;
  const srs: RemoteSrs = {
    get port() {
      return port;
    },
    mode: options.mode ?? "accept",
    invites,
    options: () => optionsCount,
    stop: async () => {
      await stack?.close();
      stack = undefined;
    },
    restart: async () => {
      if (!stack) await listen();
    },
    close: async () => {
      await srs.stop();
      for (const invite of invites) for (const capture of invite.captures) await capture.close();
    },
  };

  const onInvite = async (request: IncomingRequest): Promise<void> => {
    const callId = request.message.callId ?? "";
    const known = byCallId.get(callId);
    if (request.dialog || known) {
      request.reply(200, "OK", known ? answer(known) : {});
      return;
    }
    const message = parseSipText(new TextDecoder().decode(serializeMessage(request.message)));
    let offer: RecordingOffer | Error;
    try {
      offer = readRecordingOffer(message);
    } catch (err) {
      offer = err as Error;
    }
    const invite: RemoteSrsInvite = { message, offer, status: 503, captures: [], ended: false };
    invites.push(invite);
    if (srs.mode !== "accept" || offer instanceof Error) {
      invite.status = offer instanceof Error ? 415 : 503;
      request.reply(invite.status, invite.status === 415 ? "Unsupported Media Type" : "Service Unavailable");
      return;
    }
    for (const _ of offer.sdp.media) invite.captures.push(await openRtpCapture());
    invite.status = 200;
    byCallId.set(callId, invite);
    request.reply(200, "OK", answer(invite));
  };

  const answer = (invite: RemoteSrsInvite) => {
    const offer = invite.offer as RecordingOffer;
    const lines = ["v=0", "o=remote-srs 1 1 IN IP4 127.0.0.1", "s=remote SRS", "c=IN IP4 127.0.0.1", "t=0 0"];
    offer.sdp.media.forEach((m, i) => {
      const pt = m.formats[0] ?? 0;
      lines.push(`m=audio ${invite.captures[i]?.port ?? 0} ${m.proto} ${pt}`);
      lines.push(`a=rtpmap:${pt} ${m.rtpmap[pt] ?? (pt === 8 ? "PCMA/8000" : "PCMU/8000")}`);
      if (m.label !== undefined) lines.push(`a=label:${m.label}`);
      const offered = m.crypto[0];
      if (offered !== undefined) {
        const attribute = parseCryptoAttribute(offered);
        lines.push(
          `a=crypto:${formatCryptoAttribute(attribute.tag, generateKeyMaterial(attribute.profile))}`,
        );
      }
      lines.push("a=recvonly");
    });
    const scheme = options.transport === "tls" ? "sips" : "sip";
    return {
      headers: {
        Contact: `<${scheme}:srs@127.0.0.1:${port};transport=${options.transport}>`,
      },
      contentType: "application/sdp",
      body: `${lines.join("\r\n")}\r\n`,
    };
  };

  const listen = async (): Promise<void> => {
    const next = createSipStack({
      listen: [{ transport: options.transport, host: "127.0.0.1", port }],
      ...(options.tls ? { tls: options.tls } : {}),
    });
    next.onRequest("INVITE", onInvite);
    next.onRequest("BYE", (request) => {
      const invite = byCallId.get(request.message.callId ?? "");
      if (invite) invite.ended = true;
      request.reply(200, "OK");
    });
    next.onRequest("OPTIONS", (request) => {
      optionsCount += 1;
      if (srs.mode === "unavailable") request.reply(503, "Service Unavailable");
      else request.reply(200, "OK");
    });
    await next.start();
    port = next.listening()[0]?.port ?? port;
    stack = next;
  };

  await listen();
  return srs;
}
