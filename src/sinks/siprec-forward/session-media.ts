import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import { type Clock, errorMessage, type Logger } from "../../lib/index.ts";
import { createRtpSender, MediaError, type PortPool, type RtpSender } from "../../media/index.ts";
import type { AnsweredStream } from "../../sdp/index.ts";
import type { AudioCodec } from "../../spool/index.ts";
import {
  formatCryptoAttribute,
  generateKeyMaterial,
  SrtpContext,
  type SrtpKeyMaterial,
  type SrtpProfile,
} from "../../srtp/index.ts";

/** Ports tried per m-line before giving up, when other sockets hold ports of the range. */
const BIND_ATTEMPTS = 8;

/** What {@link SessionMedia} needs. */
export interface SessionMediaOptions {
  ports: PortPool;
  /** Address the senders bind. */
  mediaAddress: string;
  /** Codec of each stream's recorded frames, in m-line order. */
  sourceCodecs: readonly AudioCodec[];
  /** SRTP suite of our m-lines, or undefined for RTP. */
  srtp: SrtpProfile | undefined;
  /** Pace of the senders, × real time (0 = unpaced). */
  maxRate: number;
  clock: Clock;
  logger: Logger;
}

/**
 * The media side of one forward session: an RTP port per m-line from the pool, held by a bound socket
 * while the INVITE is out (a port another socket holds is skipped, so the offer only names ports we
 * can send from), an SDES key per m-line with SRTP (RFC 4568; our key protects what we send, RFC 3711
 * §3.3), then one started sender per m-line the SRS accepted, pointed where its SDP says, moved when
 * a later SDP of it moves.
 */
export class SessionMedia {
  readonly #o: SessionMediaOptions;
  #ports: number[] = [];
  /** Sockets holding the ports until the senders bind them. */
  #holds: (Socket | undefined)[] = [];
  #keys: SrtpKeyMaterial[] | undefined;
  readonly #senders: (RtpSender | undefined)[] = [];
  /** Where each sender sends, `address:port`. */
  readonly #remotes: string[] = [];

  constructor(options: SessionMediaOptions) {
    this.#o = options;
  }

  /** Our RTP port per m-line (empty until `allocate`). */
  get ports(): readonly number[] {
    return this.#ports;
  }

  /**
   * Takes and holds one port per m-line, and an SRTP master key per m-line when SRTP is asked.
   * @throws MediaPortsExhaustedError `MEDIA_PORTS_EXHAUSTED`, MediaError `MEDIA_BIND` (after
   *   {@link BIND_ATTEMPTS} busy ports); nothing is kept then.
   */
  async allocate(): Promise<void> {
    try {
      for (const _ of this.#o.sourceCodecs) await this.#holdNext();
    } catch (err) {
      this.close();
      throw err;
    }
    const srtp = this.#o.srtp;
    this.#keys = srtp === undefined ? undefined : this.#ports.map(() => generateKeyMaterial(srtp));
  }

  /** The `a=crypto` value per m-line (tag 1, RFC 4568 §9.1), or undefined without SRTP. */
  crypto(): string[] | undefined {
    return this.#keys?.map((key) => formatCryptoAttribute(1, key));
  }

  /** The sender of m-line `index`, once started (undefined when the SRS refused it). */
  sender(index: number): RtpSender | undefined {
    return this.#senders[index];
  }

  /** Whether no sender runs (every m-line was refused). */
  get silent(): boolean {
    return this.#senders.every((s) => s === undefined);
  }

  /**
   * Starts the sender of the next answered m-line (call in m-line order); none for a refused m-line
   * or an address the sender cannot use (logged).
   * @throws MediaError `MEDIA_BIND` when its port cannot be bound.
   */
  async startNext(answer: AnsweredStream): Promise<void> {
    const index = this.#senders.length;
    await this.#unhold(index);
    const sender = this.#create(answer, index);
    this.#senders.push(sender);
    this.#remotes.push(`${answer.address}:${answer.port}`);
    await sender?.start();
  }

  /** Points each sender at the address a later SDP of the SRS gives its m-line, when it moved. */
  follow(answered: readonly AnsweredStream[]): void {
    answered.forEach((answer, i) => {
      const sender = this.#senders[i];
      const remote = `${answer.address}:${answer.port}`;
      if (!sender || !answer.accepted || this.#remotes[i] === remote) return;
      this.#remotes[i] = remote;
      sender.setRemote({ address: answer.address, port: answer.port }).catch((err: unknown) => {
        this.#o.logger.warn("cannot move RTP to the SRS's new address", {
          label: answer.label,
          error: errorMessage(err),
        });
      });
    });
  }

  /** RTP packets sent so far. */
  packetsSent(): number {
    return this.#senders.reduce((sum, s) => sum + (s?.stats().packetsSent ?? 0), 0);
  }

  /** Closes the senders and gives the ports back. Idempotent. */
  close(): void {
    for (const hold of this.#holds) hold?.close();
    this.#holds = [];
    for (const sender of this.#senders) sender?.close();
    for (const port of this.#ports) this.#o.ports.release(port);
    this.#ports = [];
  }

  /** Takes the next free port of the pool that a socket can bind, and keeps it bound. */
  async #holdNext(): Promise<void> {
    const busy: number[] = [];
    try {
      for (let attempt = 1; ; attempt++) {
        const port = this.#o.ports.allocate();
        const socket = createSocket(isIPv6(this.#o.mediaAddress) ? "udp6" : "udp4");
        try {
          await new Promise<void>((resolve, reject) => {
            socket.once("error", reject);
            socket.bind({ address: this.#o.mediaAddress, port, exclusive: true }, () => {
              socket.off("error", reject);
              resolve();
            });
          });
          this.#ports.push(port);
          this.#holds.push(socket);
          return;
        } catch (cause) {
          socket.close();
          busy.push(port);
          if (attempt >= BIND_ATTEMPTS) {
            throw new MediaError("MEDIA_BIND", `no bindable RTP port after ${attempt} tries`, {
              port,
              cause,
            });
          }
        }
      }
    } finally {
      for (const port of busy) this.#o.ports.release(port);
    }
  }

  /** Frees the port of m-line `index` for its sender. */
  async #unhold(index: number): Promise<void> {
    const hold = this.#holds[index];
    if (!hold) return;
    this.#holds[index] = undefined;
    await new Promise<void>((resolve) => hold.close(() => resolve()));
  }

  #create(answer: AnsweredStream, index: number): RtpSender | undefined {
    const sourceCodec = this.#o.sourceCodecs[index];
    if (!answer.accepted || answer.payloadType === undefined || !answer.codec || !sourceCodec) {
      this.#o.logger.warn("the SRS refused an m-line; its audio stays owed", {
        label: answer.label,
        why: answer.refusedReason,
      });
      return undefined;
    }
    const key = this.#keys?.[index];
    const srtp = key === undefined ? undefined : new SrtpContext(key);
    try {
      return createRtpSender({
        localAddress: this.#o.mediaAddress,
        localPort: this.#ports[index] ?? 0,
        remote: { address: answer.address, port: answer.port },
        payloadType: answer.payloadType,
        codec: answer.codec,
        sourceCodec,
        maxRate: this.#o.maxRate,
        ...(srtp ? { protect: (packet: Uint8Array) => srtp.protect(packet) } : {}),
        clock: this.#o.clock,
        logger: this.#o.logger,
      });
    } catch (err) {
      this.#o.logger.warn("unusable RTP address in the SRS's answer; the m-line's audio stays owed", {
        label: answer.label,
        error: errorMessage(err),
      });
      return undefined;
    }
  }
}
