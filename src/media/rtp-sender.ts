import { randomInt } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";
import {
  type Clock,
  errorMessage,
  FrameFlags,
  FrameKind,
  InvalidStateError,
  type Logger,
  silentLogger,
  systemClock,
  type TimerHandle,
} from "../lib/index.ts";
import { MediaError } from "./errors.ts";
import { FrameQueue } from "./frame-queue.ts";
import { type G711Codec, transcodeG711 } from "./g711.ts";
import type { MediaFrame } from "./media-types.ts";
import type { RtpRemote, RtpSender, RtpSenderOptions, RtpSenderStats } from "./rtp-sender-types.ts";
import { SendSchedule } from "./send-schedule.ts";

const RTP_HEADER_BYTES = 12;
/** Payload room of the first packet buffer: 60 ms of G.711 at 8 kHz; grown when a bigger frame comes. */
const INITIAL_PAYLOAD_BYTES = 480;
/** Frames due within this many ms are sent now rather than after another timer. */
const EARLY_MS = 1;
/** Packets per batch when `maxRate` is 0, before yielding to the event loop. */
const UNPACED_BATCH = 64;
const DEFAULT_MAX_LAG_MS = 200;

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
/** Byte → byte tables of the two directions of G.711 transcoding, built once. */
const transcodeTables: Readonly<Record<G711Codec, Uint8Array>> = {
  PCMU: transcodeG711("PCMU", "PCMA", allBytes),
  PCMA: transcodeG711("PCMA", "PCMU", allBytes),
};

/**
 * Creates the RTP sender of one forwarded stream (RFC 3550 §5.1; DESIGN.md §5 "SIPREC forward").
 * See {@link RtpSenderOptions} and {@link RtpSender}.
 * @throws RangeError for a payload type outside 0–127, a negative or non-finite `maxRate`, a rate
 *   that is not a positive integer, or a remote port outside 1–65535.
 * @throws TypeError if the remote address is not an IP literal.
 */
export function createRtpSender(options: RtpSenderOptions): RtpSender {
  return new RtpSenderImpl(options);
}

function checkRemote(remote: RtpRemote, localAddress: string): void {
  const family = isIP(remote.address);
  if (family === 0) throw new TypeError(`remote RTP address ${remote.address} is not an IP`);
  if (family !== ipFamily(localAddress)) {
    throw new TypeError(`remote RTP address ${remote.address} is not of the local address's family`);
  }
  if (!Number.isInteger(remote.port) || remote.port < 1 || remote.port > 65535) {
    throw new RangeError(`bad remote RTP port ${remote.port}`);
  }
}

/** 6 for an IPv6 literal, else 4 (the socket type `createSocket` gets). */
function ipFamily(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

/**
 * Send side of one stream. RTP fields (RFC 3550 §5.1):
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * ```
 *
 * "The initial value of the sequence number SHOULD be random" and so SHOULD the timestamp's
 * (RFC 3550 §5.1): both are, and the sequence number starts below 2^15, so that it cannot wrap before
 * an SRTP receiver that lost the first packets has seen one (it starts its rollover counter at 0 on the
 * first packet it gets, RFC 3711 §3.3.1, and would stay one behind). The timestamp is
 * `initial + (pos − first pos)`: it follows the frames' timeline, so gaps advance it.
 *
 * Per packet: one reused buffer holds header and payload (the payload is copied or transcoded into
 * it, since SRTP needs the packet in one piece), no closure and no object but the view handed to
 * `protect` and the socket. The socket is connected to the remote: Bun's `node:dgram` then sends
 * synchronously (an unconnected send waits for an address lookup and would read the reused buffer
 * later, after it changed), and ICMP errors come back as `error` events, which are counted.
 */
class RtpSenderImpl implements RtpSender {
  readonly #localAddress: string;
  #remote: RtpRemote;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #payloadType: number;
  readonly #ssrc: number;
  /** Transcoding table, or undefined when the frames are already in the negotiated codec. */
  readonly #transcode: Uint8Array | undefined;
  /** Pacing; undefined when `maxRate` is 0 (as fast as possible). */
  readonly #schedule: SendSchedule | undefined;
  readonly #protect: ((packet: Uint8Array) => Uint8Array) | undefined;
  readonly #onTimer = (): void => this.#drain();
  readonly #onSocketError = (err: Error): void => this.#countError(err);

  #packet = new Uint8Array(RTP_HEADER_BYTES + INITIAL_PAYLOAD_BYTES);
  #view = new DataView(this.#packet.buffer);

  readonly #queue = new FrameQueue();

  /** 16-bit sequence number of the next packet. */
  #seq: number;
  /** RTP timestamp = (#tsOffset + pos) mod 2^32. */
  #tsOffset = 0;
  /** Timeline position expected next (samples); a frame beyond it is after a hole. */
  #nextPos = 0;
  #started = false;
  #markerPending = true;

  #paused = false;
  #socket: Socket | undefined;
  #connected = false;
  #starting: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  #closed = false;
  #localPort: number;

  #packetsSent = 0;
  #octetsSent = 0;
  #bytesSent = 0;
  #framesSkipped = 0;
  #sendErrors = 0;

  constructor(options: RtpSenderOptions) {
    const { payloadType } = options;
    const rate = options.rate ?? 8000;
    const maxRate = options.maxRate ?? 1;
    if (!Number.isInteger(payloadType) || payloadType < 0 || payloadType > 127) {
      throw new RangeError(`RTP payload type ${payloadType} is not 0–127`);
    }
    if (!Number.isInteger(rate) || rate <= 0) throw new RangeError(`bad RTP clock rate ${rate}`);
    if (!Number.isFinite(maxRate) || maxRate < 0) throw new RangeError(`bad maxRate ${maxRate}`);
    checkRemote(options.remote, options.localAddress);
    this.#localAddress = options.localAddress;
    this.#remote = { ...options.remote };
    this.#clock = options.clock ?? systemClock;
    this.#localPort = options.localPort;
    this.#logger = (options.logger ?? silentLogger).child({ component: "rtp-sender" });
    this.#payloadType = payloadType;
    this.#ssrc = (options.ssrc ?? randomInt(0, 2 ** 32)) >>> 0;
    this.#seq = randomInt(0, 2 ** 15);
    this.#tsOffset = randomInt(0, 2 ** 32);
    this.#transcode =
      options.codec === options.sourceCodec ? undefined : transcodeTables[options.sourceCodec];
    this.#schedule =
      maxRate === 0 ? undefined : new SendSchedule(rate, maxRate, options.maxLagMs ?? DEFAULT_MAX_LAG_MS);
    this.#protect = options.protect;
    this.#writeFixedHeader();
  }

  get localPort(): number {
    return this.#localPort;
  }

  get ssrc(): number {
    return this.#ssrc;
  }

  get queuedFrames(): number {
    return this.#queue.size;
  }

  start(): Promise<void> {
    if (this.#closed) return Promise.reject(new InvalidStateError("RTP sender is closed"));
    this.#starting ??= this.#open().catch((err: unknown) => {
      this.#starting = undefined;
      throw err;
    });
    return this.#starting;
  }

  enqueue(frame: MediaFrame): void {
    if (this.#closed) return;
    this.#queue.push(frame);
    if (this.#timer === undefined) this.#drain();
  }

  whenDrained(): Promise<void> {
    return this.#queue.whenEmpty();
  }

  setPaused(paused: boolean): void {
    if (this.#paused && !paused) this.#markerPending = true;
    this.#paused = paused;
  }

  async setRemote(remote: RtpRemote): Promise<void> {
    checkRemote(remote, this.#localAddress);
    if (this.#closed) throw new InvalidStateError("RTP sender is closed");
    this.#remote = { ...remote };
    await this.#starting?.catch(() => undefined);
    const socket = this.#socket;
    // Not started: start() connects to the new remote. A connect in flight moves on to it when done.
    if (!socket || this.#closed || !this.#connected) return;
    this.#connected = false;
    socket.disconnect();
    await this.#connect(socket, this.#remote);
  }

  stats(): RtpSenderStats {
    return {
      ssrc: this.#ssrc,
      packetsSent: this.#packetsSent,
      octetsSent: this.#octetsSent,
      bytesSent: this.#bytesSent,
      framesSkipped: this.#framesSkipped,
      sendErrors: this.#sendErrors,
      scheduleResets: this.#schedule?.resets ?? 0,
      queuedFrames: this.queuedFrames,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connected = false;
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#queue.clear();
    try {
      this.#socket?.close();
    } catch {
      // Already closed by a failed bind.
    }
    this.#socket = undefined;
  }

  async #open(): Promise<void> {
    const localAddress = this.#localAddress;
    const socket = createSocket({ type: ipFamily(localAddress) === 6 ? "udp6" : "udp4" });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind({ address: localAddress, port: this.#localPort, exclusive: true }, () => {
          socket.off("error", reject);
          resolve();
        });
      });
    } catch (cause) {
      socket.close();
      const port = this.#localPort;
      throw new MediaError("MEDIA_BIND", `cannot bind RTP sender on ${localAddress}:${port}`, {
        port,
        cause,
      });
    }
    if (this.#closed) {
      socket.close();
      throw new InvalidStateError("RTP sender was closed while starting");
    }
    this.#localPort = socket.address().port;
    this.#socket = socket;
    try {
      await this.#connect(socket, this.#remote);
    } catch (err) {
      this.#socket = undefined;
      socket.close();
      throw err;
    }
    socket.on("error", this.#onSocketError);
  }

  /** Connects the UDP socket to the remote, so that each send goes out at once, without an address lookup. */
  async #connect(socket: Socket, remote: RtpRemote): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.connect(remote.port, remote.address, () => {
          socket.off("error", reject);
          resolve();
        });
      });
    } catch (cause) {
      const where = `${remote.address}:${remote.port}`;
      throw new MediaError("MEDIA_BIND", `cannot point the RTP sender at ${where}`, {
        port: this.#localPort,
        cause,
      });
    }
    if (this.#closed || this.#socket !== socket) return;
    if (remote !== this.#remote) {
      socket.disconnect();
      return this.#connect(socket, this.#remote);
    }
    this.#connected = true;
    this.#logger.debug("sending RTP", {
      localPort: this.#localPort,
      remote: `${remote.address}:${remote.port}`,
    });
    if (this.#timer === undefined) this.#drain();
  }

  /** Sends every frame that is due, then sleeps until the next one is. */
  #drain(): void {
    this.#timer = undefined;
    if (!this.#connected) return;
    const now = this.#clock.now();
    let budget = UNPACED_BATCH;
    for (let frame = this.#queue.peek(); frame; frame = this.#queue.peek()) {
      const pos = this.#started ? Math.max(frame.pos, this.#nextPos) : frame.pos;
      // Paced: sleep until the frame is due. Unpaced: yield to the event loop after each batch.
      const wait = this.#schedule ? this.#schedule.waitMs(pos, now) : 0;
      if (this.#schedule ? wait > EARLY_MS : budget-- === 0) {
        this.#timer = this.#clock.setTimeout(this.#onTimer, wait);
        return;
      }
      this.#queue.shift();
      this.#handle(frame, pos);
    }
  }

  #handle(frame: MediaFrame, pos: number): void {
    if (!this.#started) {
      this.#started = true;
      this.#tsOffset -= pos;
    } else if (frame.pos > this.#nextPos || (frame.flags & FrameFlags.Discontinuity) !== 0) {
      this.#markerPending = true;
    }
    this.#nextPos = pos + frame.durationSamples;
    if (frame.kind !== FrameKind.Audio || frame.payload.byteLength === 0) {
      this.#markerPending = true;
      return;
    }
    if (this.#paused) {
      this.#framesSkipped++;
      return;
    }
    const marker = this.#markerPending || (frame.flags & FrameFlags.Marker) !== 0;
    this.#markerPending = false;
    this.#send(frame.payload, (this.#tsOffset + pos) >>> 0, marker);
  }

  #send(payload: Uint8Array, timestamp: number, marker: boolean): void {
    const length = RTP_HEADER_BYTES + payload.byteLength;
    if (length > this.#packet.byteLength) this.#growPacket(length);
    const packet = this.#packet;
    packet[1] = (marker ? 0x80 : 0) | this.#payloadType;
    this.#view.setUint16(2, this.#seq);
    this.#view.setUint32(4, timestamp);
    const lut = this.#transcode;
    if (lut) {
      for (let i = 0; i < payload.byteLength; i++) packet[RTP_HEADER_BYTES + i] = lut[payload[i] ?? 0] ?? 0;
    } else {
      packet.set(payload, RTP_HEADER_BYTES);
    }
    // The sequence number is used up even if the send fails: SRTP must never protect twice with one index.
    this.#seq = (this.#seq + 1) & 0xffff;
    const datagram = this.#protect ? this.#protect(packet.subarray(0, length)) : packet.subarray(0, length);
    try {
      this.#socket?.send(datagram);
    } catch (err) {
      this.#countError(err);
      return;
    }
    this.#packetsSent++;
    this.#octetsSent += payload.byteLength;
    this.#bytesSent += datagram.byteLength;
  }

  #writeFixedHeader(): void {
    this.#packet[0] = 0x80;
    this.#view.setUint32(8, this.#ssrc);
  }

  #growPacket(length: number): void {
    this.#packet = new Uint8Array(length);
    this.#view = new DataView(this.#packet.buffer);
    this.#writeFixedHeader();
  }

  /** Counts a failed send or an ICMP error; logs the first and then every 1000th. */
  #countError(err: unknown): void {
    this.#sendErrors++;
    if (this.#sendErrors % 1000 === 1) {
      this.#logger.warn("RTP send failed", { error: errorMessage(err), sendErrors: this.#sendErrors });
    }
  }
}
