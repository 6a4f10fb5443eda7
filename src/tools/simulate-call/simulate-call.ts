import { lookup } from "node:dns/promises";
import {
  type Clock,
  errorMessage,
  type Logger,
  randomHex,
  silentLogger,
  systemClock,
} from "../../lib/index.ts";
import { encodeG711 } from "../../media/index.ts";
import { parseSdp, type SessionDescriptionInfo } from "../../sdp/index.ts";
import { buildResponse, type SipMessage, SipRequest, type SipResponse } from "../../sip/index.ts";
import { splitRecordingBody } from "../../siprec/index.ts";
import {
  build2xxAck,
  buildBye,
  buildInvite,
  buildNon2xxAck,
  confirmDialog,
  newDialog,
  newVia,
  type SrcDialog,
} from "./call-requests.ts";
import { defaultUacTimers, type UacTimers, UacTransaction } from "./client-transaction.ts";
import { SimulateCallError } from "./errors.ts";
import { buildRecordingOffer, payloadTypeOf, type SimulatedCodec } from "./recording-offer.ts";
import { type PacedStream, RtpPacer } from "./rtp-pacer.ts";
import { openSipChannel, type SimulatedTransport, type SipChannel, type SipTarget } from "./sip-channel.ts";

/** Which entry of `audio` each m-line sends: m-line 1 the customer (`audio[1]`), m-line 2 the agent. */
const speakerOfMline = [1, 0] as const;

/** Options of {@link simulateCall}. */
export interface SimulateCallOptions {
  /** The SRS: host name or IP address, and SIP port. */
  target: { host: string; port: number };
  /** SIP transport (RFC 3261 §18). */
  transport: SimulatedTransport;
  /** G.711 law offered and sent on both m-lines: `PCMU` (payload type 0) or `PCMA` (8). */
  codec: SimulatedCodec;
  /**
   * The two participants' speech, 8 kHz 16-bit linear samples. The customer is sent on m-line 1
   * (label 1) and the agent on m-line 2 (label 2), as the SRS's default role rule expects.
   */
  audio: [agent: Int16Array, customer: Int16Array];
  /** Local address for SIP (UDP) and RTP. @default the source address of the route to the SRS */
  localAddress?: string;
  /** @default silentLogger */
  logger?: Logger;
  /** Time source for SIP timers and RTP pacing. @default systemClock */
  clock?: Clock;
  /** SIP retransmission timers (RFC 3261 §17.1.1.1). @default T1 = 500 ms, T2 = 4 s */
  timers?: UacTimers;
  /** Called with the dialog's Call-ID as the INVITE is sent (the result names it only once the call is over). */
  onInvite?: (sipCallId: string) => void;
}

/** What happened on a simulated recording session. */
export interface SimulatedCallResult {
  /** Call-ID of the recording session's dialog. */
  sipCallId: string;
  /** Status of the final response to the INVITE (200 when recorded, e.g. 486 when refused). */
  status: number;
  /** Reason phrase of that response. */
  reason: string;
  /** RTP packets sent on m-line 1 and m-line 2 (0 for an m-line the SRS rejected or set inactive). */
  packetsSent: [number, number];
  /** RTP payload bytes sent on m-line 1 and m-line 2 (G.711: one byte per sample). */
  payloadBytes: [number, number];
  /** ms from sending the INVITE to its final response (non-2xx) or to the end of the BYE transaction. */
  durationMs: number;
}

/** Where an accepted m-line of the answer wants its RTP. */
interface AnsweredStream {
  host: string;
  port: number;
}

/**
 * Runs one SIPREC recording session as an SRC (RFC 7866): sends a multipart INVITE (SDP offer with
 * two `sendonly` G.711 m-lines labelled 1 and 2, RFC 7865 metadata, `Require: siprec`, Contact
 * `+sip.src`, a UCID in `User-to-User`), retransmits it over UDP per Timer A, ACKs the final
 * response, streams both channels as paced 20 ms RTP to the ports the SRS answered, then sends BYE
 * and waits for its final response. An SRS that ends the session first (BYE) gets 200 and the RTP
 * stops there.
 *
 * @returns the outcome; a non-2xx final response resolves (with that status and no RTP sent).
 * @throws SimulateCallError `SIMULATE_NO_ANSWER` (no final response within 32 s, the host name does not
 *   resolve, or the TCP connection failed), `SIMULATE_BAD_ANSWER` (2xx without two m-lines of SDP; the call is ended first),
 *   `SIMULATE_BYE_FAILED` (BYE unanswered within 32 s or refused).
 */
export async function simulateCall(options: SimulateCallOptions): Promise<SimulatedCallResult> {
  const { host, port } = options.target;
  const address = await lookup(host).catch((err: unknown) => {
    throw new SimulateCallError("SIMULATE_NO_ANSWER", `cannot resolve ${host}: ${errorMessage(err)}`, {
      cause: err,
    });
  });
  const call = new SimulatedCall(options, { host: address.address, port });
  try {
    return await call.run();
  } finally {
    call.close();
  }
}

/** One simulated recording session: its sockets, dialog and transactions. */
class SimulatedCall {
  readonly #options: SimulateCallOptions;
  readonly #target: SipTarget;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #timers: UacTimers;
  readonly #transactions = new Map<string, UacTransaction>();
  readonly #rtpSockets: Array<{ port: number; send: PacedStream["socket"]["send"]; close(): void }> = [];
  #channel: SipChannel | undefined;
  #dialog: SrcDialog | undefined;
  // ACK of the 2xx, resent when the 2xx is retransmitted (RFC 3261 §13.2.2.4).
  #ack: SipRequest | undefined;
  #pacer: RtpPacer | undefined;
  #remoteBye = false;
  #transportError: Error | undefined;

  constructor(options: SimulateCallOptions, target: SipTarget) {
    this.#options = options;
    this.#target = target;
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? silentLogger).child({ component: "simulate-call" });
    this.#timers = options.timers ?? defaultUacTimers;
  }

  async run(): Promise<SimulatedCallResult> {
    const channel = await this.#openChannel();
    const localAddress = this.#options.localAddress ?? channel.localAddress;
    for (let i = 0; i < 2; i++) {
      this.#rtpSockets.push(await Bun.udpSocket({ hostname: localAddress, port: 0 }));
    }
    const dialog = newDialog(channel, this.#target);
    this.#dialog = dialog;
    const invite = this.#buildInvite(channel, dialog, localAddress);
    const started = this.#clock.now();
    this.#logger.info("sending recording-session INVITE", { callId: dialog.callId, target: this.#target });
    this.#options.onInvite?.(dialog.callId);
    const answer = await this.#request(invite);
    if (!answer) {
      const why = this.#transportError ? `: ${errorMessage(this.#transportError)}` : " within 64*T1";
      throw new SimulateCallError("SIMULATE_NO_ANSWER", `no final response to the INVITE${why}`, {
        cause: this.#transportError,
      });
    }
    let sent = { packetsSent: [0, 0], payloadBytes: [0, 0] };
    if (answer.status >= 300) {
      channel.send(buildNon2xxAck(invite, answer));
      this.#logger.info("INVITE refused", { status: answer.status, reason: answer.reason });
    } else {
      confirmDialog(dialog, answer);
      this.#ack = build2xxAck(dialog, channel);
      channel.send(this.#ack);
      sent = await this.#streamAudio(await this.#answeredStreams(answer));
      await this.#hangUp();
    }
    return {
      sipCallId: dialog.callId,
      status: answer.status,
      reason: answer.reason,
      packetsSent: [sent.packetsSent[0] ?? 0, sent.packetsSent[1] ?? 0],
      payloadBytes: [sent.payloadBytes[0] ?? 0, sent.payloadBytes[1] ?? 0],
      durationMs: this.#clock.now() - started,
    };
  }

  close(): void {
    this.#pacer?.stop();
    for (const tx of this.#transactions.values()) tx.cancel();
    for (const socket of this.#rtpSockets) socket.close();
    this.#channel?.close();
  }

  /** Opens the SIP flow to the SRS. @throws SimulateCallError SIMULATE_NO_ANSWER when it cannot. */
  async #openChannel(): Promise<SipChannel> {
    try {
      this.#channel = await openSipChannel({
        transport: this.#options.transport,
        target: this.#target,
        ...(this.#options.localAddress ? { localAddress: this.#options.localAddress } : {}),
        logger: this.#logger,
        onMessage: (message) => this.#onMessage(message),
        onClose: (error) => this.#onTransportClose(error),
      });
      return this.#channel;
    } catch (err) {
      const where = `${this.#target.host}:${this.#target.port}`;
      throw new SimulateCallError(
        "SIMULATE_NO_ANSWER",
        `cannot reach the SRS at ${where}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  /** The recording-session INVITE offering the two RTP sockets' ports, with a fresh UCID. */
  #buildInvite(channel: SipChannel, dialog: SrcDialog, localAddress: string): SipRequest {
    const ucid = `00FA08${randomHex(8).toUpperCase()}`;
    const offer = buildRecordingOffer({
      localAddress,
      ports: [this.#rtpSockets[0]?.port ?? 0, this.#rtpSockets[1]?.port ?? 0],
      codec: this.#options.codec,
      ucid,
      startTime: new Date(this.#clock.wallUs() / 1000).toISOString(),
    });
    return buildInvite(dialog, newVia(channel), { ...offer, ucid });
  }

  /** Sends a request as a client transaction and waits for its final response. */
  async #request(request: SipRequest): Promise<SipResponse | undefined> {
    const channel = this.#channel;
    if (!channel || this.#transportError) return undefined;
    const tx = new UacTransaction(channel, request, { clock: this.#clock, timers: this.#timers });
    this.#transactions.set(tx.branch, tx);
    try {
      return await tx.final;
    } finally {
      this.#transactions.delete(tx.branch);
    }
  }

  /** The accepted m-lines of the answer (RFC 7866 §7.2: `recvonly`, or `inactive` to decline one). */
  async #answeredStreams(answer: SipResponse): Promise<Array<AnsweredStream | undefined>> {
    let sdp: SessionDescriptionInfo | undefined;
    try {
      sdp = parseSdp(splitRecordingBody(answer.contentTypeRaw, answer.body).sdp);
    } catch (err) {
      this.#logger.warn("unusable SDP answer", { error: errorMessage(err) });
    }
    if (!sdp || sdp.media.length < 2) {
      await this.#hangUp();
      throw new SimulateCallError(
        "SIMULATE_BAD_ANSWER",
        `the SRS answered ${answer.status} without an SDP of two m-lines (RFC 7866 §7); the call was ended`,
      );
    }
    const payloadType = payloadTypeOf[this.#options.codec];
    return sdp.media.slice(0, 2).map((media) => {
      const usable =
        media.port !== 0 &&
        media.address !== "" &&
        (media.direction === "recvonly" || media.direction === "sendrecv") &&
        media.formats.some((format) => format.payloadType === payloadType);
      if (!usable) this.#logger.warn("SRS declined an m-line", { index: media.index, port: media.port });
      return usable ? { host: media.address, port: media.port } : undefined;
    });
  }

  /** Streams each channel to its answered m-line (none to a declined one) until done or the SRS hangs up. */
  async #streamAudio(
    answered: Array<AnsweredStream | undefined>,
  ): Promise<{ packetsSent: number[]; payloadBytes: number[] }> {
    const streams: PacedStream[] = [];
    const indexes: number[] = [];
    answered.forEach((target, i) => {
      const socket = this.#rtpSockets[i];
      const audio = this.#options.audio[speakerOfMline[i] ?? 0];
      if (!target || !socket || !audio) return;
      streams.push({
        socket,
        host: target.host,
        port: target.port,
        payload: encodeG711(this.#options.codec, audio),
      });
      indexes.push(i);
    });
    const pacer = new RtpPacer({
      streams,
      payloadType: payloadTypeOf[this.#options.codec],
      clock: this.#clock,
    });
    this.#pacer = pacer;
    if (!this.#remoteBye) await pacer.run();
    const packetsSent = [0, 0];
    const payloadBytes = [0, 0];
    indexes.forEach((channelIndex, i) => {
      packetsSent[channelIndex] = pacer.packetsSent[i] ?? 0;
      payloadBytes[channelIndex] = pacer.payloadBytes[i] ?? 0;
    });
    return { packetsSent, payloadBytes };
  }

  /** Ends the session with BYE, unless the SRS already did. */
  async #hangUp(): Promise<void> {
    const channel = this.#channel;
    const dialog = this.#dialog;
    if (this.#remoteBye || !channel || !dialog) return;
    const response = await this.#request(buildBye(dialog, channel));
    if (this.#remoteBye) return;
    if (!response || response.status >= 300) {
      const status = response?.status ?? 0;
      throw new SimulateCallError(
        "SIMULATE_BYE_FAILED",
        response
          ? `the SRS answered the BYE with ${status} ${response.reason}`
          : `no final response to the BYE${this.#transportError ? `: ${errorMessage(this.#transportError)}` : ""}`,
        { status },
      );
    }
  }

  #onMessage(message: SipMessage): void {
    if (message instanceof SipRequest) {
      this.#onRequest(message);
      return;
    }
    const tx = this.#transactions.get(message.via[0]?.branch ?? "");
    if (tx) tx.receive(message);
    else if (
      this.#ack &&
      message.status >= 200 &&
      message.status < 300 &&
      message.cseq?.method === "INVITE"
    ) {
      this.#channel?.send(this.#ack);
    }
  }

  #onRequest(request: SipRequest): void {
    const channel = this.#channel;
    if (!channel || request.method === "ACK") return;
    if (request.method === "BYE" && request.callId === this.#dialog?.callId) {
      this.#logger.info("the SRS ended the recording session");
      this.#remoteBye = true;
      channel.send(buildResponse(request, 200));
      this.#pacer?.stop();
      return;
    }
    channel.send(buildResponse(request, 501));
  }

  #onTransportClose(error?: Error): void {
    this.#transportError = error ?? new Error("the SRS closed the TCP connection");
    for (const tx of this.#transactions.values()) tx.cancel();
    this.#pacer?.stop();
  }
}
