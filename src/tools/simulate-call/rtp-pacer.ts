import type { Clock, TimerHandle } from "../../lib/index.ts";

/** RTP fixed header length in bytes (RFC 3550 §5.1, no CSRC, no extension). */
const HEADER_BYTES = 12;

/** Anything that sends one datagram synchronously (Bun's UDP socket): the buffer may be reused after. */
export interface DatagramSender {
  /** Sends `data` to `address:port`; false when the kernel refused it. */
  send(data: Uint8Array, port: number, address: string): boolean;
}

/** One outgoing RTP stream of a {@link RtpPacer}. */
export interface PacedStream {
  /** The socket whose port was offered for this m-line (symmetric RTP, RFC 4961). */
  socket: DatagramSender;
  /** Destination address (the answer's `c=`). */
  host: string;
  /** Destination port (the answer's m-line port). */
  port: number;
  /** The whole channel, already G.711-encoded: one byte per 8 kHz sample. */
  payload: Uint8Array;
}

/** Options of {@link RtpPacer}. */
export interface RtpPacerOptions {
  /** Streams to send, all on the same 20 ms grid. */
  streams: PacedStream[];
  /** RTP payload type (0 = PCMU, 8 = PCMA; RFC 3551 §6). */
  payloadType: number;
  /** Time source for the pacing. */
  clock: Clock;
  /** Samples (= G.711 bytes) per packet. @default 160 (20 ms at 8 kHz) */
  samplesPerPacket?: number;
  /** Packet interval in ms. @default 20 */
  ptimeMs?: number;
}

/** Per-stream sender state: RTP header fields and one reused packet buffer. */
class StreamState {
  readonly packet: Uint8Array;
  readonly view: DataView;
  readonly ssrc: number;
  sequence: number;
  timestamp: number;
  offset = 0;
  packets = 0;
  payloadBytes = 0;

  constructor(
    readonly stream: PacedStream,
    samplesPerPacket: number,
  ) {
    this.packet = new Uint8Array(HEADER_BYTES + samplesPerPacket);
    this.view = new DataView(this.packet.buffer);
    const random = crypto.getRandomValues(new Uint32Array(3));
    this.ssrc = random[0] ?? 0;
    this.sequence = (random[1] ?? 0) & 0xffff;
    this.timestamp = random[2] ?? 0;
  }
}

/**
 * Sends G.711 channels as paced RTP (RFC 3550, RFC 3551 §4.5.14): one packet per stream every
 * `ptimeMs`, `samplesPerPacket` payload bytes each (a shorter last one when the channel ends), random
 * initial SSRC, sequence number and timestamp per stream, the marker bit on each stream's first
 * packet (RFC 3551 §4.1), the timestamp advancing by the samples sent. Packet `n` of every stream is
 * due at `start + n · ptimeMs`, so timer lateness does not accumulate (late packets go out at once).
 */
export class RtpPacer {
  readonly #states: StreamState[];
  readonly #payloadType: number;
  readonly #clock: Clock;
  readonly #samplesPerPacket: number;
  readonly #ptimeMs: number;
  readonly #tick = (): void => this.#sendDue();
  // Clock time of packet 0, index of the next packet.
  #start = 0;
  #index = 0;
  #timer: TimerHandle | undefined;
  #done: (() => void) | undefined;

  /** Prepares the streams; nothing is sent before {@link RtpPacer.run}. */
  constructor(options: RtpPacerOptions) {
    this.#samplesPerPacket = options.samplesPerPacket ?? 160;
    this.#ptimeMs = options.ptimeMs ?? 20;
    this.#payloadType = options.payloadType & 0x7f;
    this.#clock = options.clock;
    this.#states = options.streams.map((stream) => new StreamState(stream, this.#samplesPerPacket));
  }

  /** Packets sent per stream, in stream order. */
  get packetsSent(): number[] {
    return this.#states.map((state) => state.packets);
  }

  /** Payload bytes sent per stream (RTP headers excluded), in stream order. */
  get payloadBytes(): number[] {
    return this.#states.map((state) => state.payloadBytes);
  }

  /** SSRC of each stream, in stream order. */
  get ssrcs(): number[] {
    return this.#states.map((state) => state.ssrc);
  }

  /** Sends every stream to its end; resolves then, or as soon as {@link RtpPacer.stop} is called. */
  run(): Promise<void> {
    return new Promise((resolve) => {
      this.#done = resolve;
      this.#start = this.#clock.now();
      this.#sendDue();
    });
  }

  /** Stops sending; `run()` resolves. Idempotent. */
  stop(): void {
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    const done = this.#done;
    this.#done = undefined;
    done?.();
  }

  #sendDue(): void {
    if (!this.#done) return;
    const now = this.#clock.now();
    let remaining = false;
    while (this.#start + this.#index * this.#ptimeMs <= now) {
      remaining = false;
      for (const state of this.#states) remaining = this.#sendNext(state) || remaining;
      this.#index++;
      if (!remaining) {
        this.stop();
        return;
      }
    }
    const wait = this.#start + this.#index * this.#ptimeMs - now;
    this.#timer = this.#clock.setTimeout(this.#tick, wait);
  }

  /** Sends the next packet of one stream; returns whether the stream has more to send. */
  #sendNext(state: StreamState): boolean {
    const { payload } = state.stream;
    const length = Math.min(this.#samplesPerPacket, payload.length - state.offset);
    if (length <= 0) return false;
    const { packet, view } = state;
    packet[0] = 0x80;
    packet[1] = state.packets === 0 ? 0x80 | this.#payloadType : this.#payloadType;
    view.setUint16(2, state.sequence);
    view.setUint32(4, state.timestamp);
    view.setUint32(8, state.ssrc);
    packet.set(payload.subarray(state.offset, state.offset + length), HEADER_BYTES);
    const datagram = length === this.#samplesPerPacket ? packet : packet.subarray(0, HEADER_BYTES + length);
    state.stream.socket.send(datagram, state.stream.port, state.stream.host);
    state.offset += length;
    state.packets++;
    state.payloadBytes += length;
    state.sequence = (state.sequence + 1) & 0xffff;
    state.timestamp = (state.timestamp + length) >>> 0;
    return state.offset < payload.length;
  }
}
