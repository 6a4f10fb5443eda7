import { randomBytes } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { parseSdp } from "../../../../src/sdp/index.ts";
import {
  createSipStack,
  type Dialog,
  type DialogTerminationReason,
  type IncomingRequest,
  parseMessage,
  type SipRequest,
  SipResponse,
  type SipStack,
  type SipTlsOptions,
} from "../../../../src/sip/index.ts";
import { splitRecordingBody } from "../../../../src/siprec/index.ts";
import { formatCryptoAttribute, generateKeyMaterial } from "../../../../src/srtp/index.ts";

/** One m-line the remote SRS accepted: a UDP socket on 127.0.0.1 that keeps every datagram. */
export interface SrsStream {
  /** `a=label` of the offered m-line. */
  label: string;
  /** Our `a=crypto` value for it (SRTP), if offered. */
  crypto: string | undefined;
  /** RTP datagrams received, in arrival order. */
  packets: Uint8Array[];
  socket: Socket;
}

/** One recording session the remote SRS accepted. */
export interface SrsSession {
  invite: SipRequest;
  /** The SDP part of the INVITE. */
  offer: string;
  /** The metadata part of the INVITE. */
  metadataXml: string;
  streams: SrsStream[];
  /** The SRS side of the dialog. */
  dialog: Dialog;
  /** re-INVITEs received inside the dialog. */
  reinvites: SipRequest[];
  /** Why the dialog ended (`bye` when we sent BYE), once it did. */
  ended: DialogTerminationReason | undefined;
  /** CSeq of the next request the SRS sends inside the dialog. */
  nextCSeq: number;
}

/** Options of {@link RemoteSrs.start}. */
export interface RemoteSrsOptions {
  transport?: "udp" | "tls";
  tls?: SipTlsOptions;
}

/**
 * A remote SRS for the forwarder's tests, on 127.0.0.1: our own SIP stack as UAS that answers each
 * INVITE with `status` (200 with an SDP answer of `recvonly` m-lines on real UDP sockets, or a refusal
 * with an optional Retry-After), answers re-INVITEs with its SDP, and can send BYE or a re-INVITE inside
 * a dialog from a raw UDP socket.
 */
export class RemoteSrs {
  readonly stack: SipStack;
  readonly port: number;
  readonly transport: "udp" | "tls";
  /** Every INVITE received (also refused ones). */
  readonly invites: SipRequest[] = [];
  /** OPTIONS received. */
  options = 0;
  /** Sessions accepted. */
  readonly sessions: SrsSession[] = [];
  /** Final status for new INVITEs. */
  status = 200;
  /** Retry-After (s) of refusals, if any. */
  retryAfterS: number | undefined;
  /** Final status for OPTIONS. */
  optionsStatus = 200;
  readonly #raw: Socket;

  private constructor(stack: SipStack, port: number, transport: "udp" | "tls", raw: Socket) {
    this.stack = stack;
    this.port = port;
    this.transport = transport;
    this.#raw = raw;
    stack.onRequest("INVITE", (req) => this.#onInvite(req.message, req));
    stack.onRequest("OPTIONS", (req) => {
      this.options++;
      req.reply(this.optionsStatus);
    });
  }

  /** Starts an SRS on 127.0.0.1 (free port). */
  static async start(options: RemoteSrsOptions = {}): Promise<RemoteSrs> {
    const transport = options.transport ?? "udp";
    const stack = createSipStack({
      listen: [{ transport, host: "127.0.0.1", port: 0 }],
      timers: { t1: 20 },
      ...(options.tls ? { tls: options.tls } : {}),
    });
    await stack.start();
    const raw = createSocket("udp4");
    await new Promise<void>((resolve) => raw.bind(0, "127.0.0.1", () => resolve()));
    return new RemoteSrs(stack, stack.listening()[0]?.port ?? 0, transport, raw);
  }

  /** The URI of this SRS for a sink. */
  get uri(): string {
    return this.transport === "tls" ? `sips:srs@127.0.0.1:${this.port}` : `sip:srs@127.0.0.1:${this.port}`;
  }

  /** Every RTP datagram of one m-line of one session. */
  packets(session: number, stream: number): Uint8Array[] {
    return this.sessions[session]?.streams[stream]?.packets ?? [];
  }

  /**
   * Sends a request inside a session's dialog from a raw UDP socket (BYE, a refresh re-INVITE with our
   * last answer as its SDP) and resolves with the final response.
   */
  async sendInDialog(session: SrsSession, method: string, body = ""): Promise<SipResponse> {
    const invite = session.invite;
    const ourContact = /<([^>]+)>/.exec(invite.header("contact") ?? "")?.[1] ?? "";
    const rawPort = this.#raw.address().port;
    const cseq = session.nextCSeq++;
    const text = [
      `${method} ${ourContact} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${rawPort};branch=z9hG4bK${randomBytes(6).toString("hex")};rport`,
      "Max-Forwards: 70",
      `From: ${invite.header("to")};tag=${session.dialog.localTag}`,
      `To: ${invite.header("from")}`,
      `Call-ID: ${invite.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:srs@127.0.0.1:${rawPort}>`,
      ...(method === "INVITE" ? ["Session-Expires: 90;refresher=uas", "Supported: timer"] : []),
      ...(body === "" ? [] : ["Content-Type: application/sdp"]),
      `Content-Length: ${Buffer.byteLength(body)}`,
      "",
      body,
    ].join("\r\n");
    const response = new Promise<SipResponse>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`no final response to ${method}`)), 5000);
      const onMessage = (data: Buffer): void => {
        const message = parseMessage(data);
        if (!(message instanceof SipResponse) || message.status < 200) return;
        clearTimeout(guard);
        this.#raw.off("message", onMessage);
        if (method === "INVITE") this.#ack(session, message, cseq, ourContact, rawPort);
        resolve(message);
      };
      this.#raw.on("message", onMessage);
    });
    this.#raw.send(
      Buffer.from(text),
      Number(/:(\d+)/.exec(ourContact.split("@")[1] ?? "")?.[1]),
      "127.0.0.1",
    );
    return response;
  }

  /** Stops answering SIP (the stack closes) while the RTP sockets keep receiving: an SRS whose signalling died. */
  async closeSip(): Promise<void> {
    await this.stack.close();
  }

  /** Closes the stack and every socket. */
  async close(): Promise<void> {
    await this.stack.close();
    for (const session of this.sessions) for (const stream of session.streams) stream.socket.close();
    this.#raw.close();
  }

  #ack(session: SrsSession, response: SipResponse, cseq: number, ourContact: string, rawPort: number): void {
    const invite = session.invite;
    const text = [
      `ACK ${ourContact} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${rawPort};branch=z9hG4bK${randomBytes(6).toString("hex")};rport`,
      "Max-Forwards: 70",
      `From: ${invite.header("to")};tag=${session.dialog.localTag}`,
      `To: ${response.header("to")}`,
      `Call-ID: ${invite.callId}`,
      `CSeq: ${cseq} ACK`,
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n");
    this.#raw.send(
      Buffer.from(text),
      Number(/:(\d+)/.exec(ourContact.split("@")[1] ?? "")?.[1]),
      "127.0.0.1",
    );
  }

  async #onInvite(message: SipRequest, req: IncomingRequest): Promise<void> {
    const existing = this.sessions.find((s) => s.dialog === req.dialog);
    if (existing) {
      existing.reinvites.push(message);
      req.reply(200, undefined, { body: this.#answer(existing), contentType: "application/sdp" });
      return;
    }
    this.invites.push(message);
    if (this.status !== 200) {
      const headers: Record<string, string> = {};
      if (this.retryAfterS !== undefined) headers["Retry-After"] = String(this.retryAfterS);
      req.reply(this.status, undefined, { headers });
      return;
    }
    const body = splitRecordingBody(message.header("content-type"), message.body);
    const offered = parseSdp(body.sdp).media;
    const streams: SrsStream[] = [];
    for (const media of offered) {
      const socket = createSocket("udp4");
      await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
      const stream: SrsStream = { label: media.label ?? "", crypto: media.crypto[0], packets: [], socket };
      socket.on("message", (data) => stream.packets.push(new Uint8Array(data)));
      streams.push(stream);
    }
    const session = {
      invite: message,
      offer: body.sdp,
      metadataXml: body.metadata?.xml ?? "",
      streams,
      reinvites: [],
      ended: undefined,
      nextCSeq: 1,
    } as Omit<SrsSession, "dialog"> as SrsSession;
    const dialog = req.reply(200, undefined, {
      body: this.#answer(session),
      contentType: "application/sdp",
      headers: { Contact: `<sip:srs@127.0.0.1:${this.port};transport=${this.transport}>` },
    });
    if (!dialog) throw new Error("no dialog");
    session.dialog = dialog;
    dialog.once("terminated", (reason) => {
      session.ended = reason;
    });
    this.sessions.push(session);
  }

  /** The SDP answer: one `recvonly` m-line per offered one, on its socket, with the offered codec (and an SRTP key of ours). */
  #answer(session: Pick<SrsSession, "offer" | "streams">): string {
    const offered = parseSdp(session.offer).media;
    const lines = ["v=0", "o=srs 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0"];
    offered.forEach((media, i) => {
      const port = session.streams[i]?.socket.address().port ?? 0;
      const format = media.formats[0];
      lines.push(`m=audio ${port} ${media.proto} ${format?.payloadType ?? 0}`);
      lines.push(`a=rtpmap:${format?.payloadType ?? 0} ${format?.encoding || "PCMU"}/8000`);
      if (media.crypto.length > 0) {
        lines.push(`a=crypto:${formatCryptoAttribute(1, generateKeyMaterial("AES_CM_128_HMAC_SHA1_80"))}`);
      }
      if (media.label) lines.push(`a=label:${media.label}`);
      lines.push(media.direction === "inactive" ? "a=inactive" : "a=recvonly");
    });
    return `${lines.join("\r\n")}\r\n`;
  }
}
