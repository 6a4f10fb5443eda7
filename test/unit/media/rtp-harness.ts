import type {
  CallClock,
  DtmfEvent,
  MediaFrame,
  RtpReceiver,
  RtpReceiverOptions,
  RtpReceiverStats,
} from "../../../src/media/index.ts";
import { createRtpReceiver } from "../../../src/media/index.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";

/** Fields of a test RTP packet; everything but `seq` and `ts` has a default. */
export interface TestPacket {
  seq: number;
  ts: number;
  ssrc?: number;
  pt?: number;
  marker?: boolean;
  /** Payload bytes; default 160 bytes of `fill`. */
  payload?: Uint8Array;
  /** Byte the default payload is filled with (default 0x55). */
  fill?: number;
  csrcs?: number[];
  /** Header extension words (32-bit each), profile 0xBEDE. */
  extensionWords?: number;
  /** Padding octets to append (P bit). */
  padding?: number;
}

/** Builds an RTP packet by hand (RFC 3550 §5.1). */
export function buildRtp(p: TestPacket): Uint8Array {
  const payload = p.payload ?? new Uint8Array(160).fill(p.fill ?? 0x55);
  const csrcs = p.csrcs ?? [];
  const ext = p.extensionWords ?? 0;
  const headerLength = 12 + 4 * csrcs.length + (p.extensionWords !== undefined ? 4 + 4 * ext : 0);
  const padding = p.padding ?? 0;
  const out = new Uint8Array(headerLength + payload.length + padding);
  const view = new DataView(out.buffer);
  view.setUint8(
    0,
    0x80 | (padding > 0 ? 0x20 : 0) | (p.extensionWords !== undefined ? 0x10 : 0) | csrcs.length,
  );
  view.setUint8(1, (p.marker ? 0x80 : 0) | (p.pt ?? 0));
  view.setUint16(2, p.seq & 0xffff);
  view.setUint32(4, p.ts >>> 0);
  view.setUint32(8, (p.ssrc ?? 0x1234abcd) >>> 0);
  let offset = 12;
  for (const csrc of csrcs) {
    view.setUint32(offset, csrc);
    offset += 4;
  }
  if (p.extensionWords !== undefined) {
    view.setUint16(offset, 0xbede);
    view.setUint16(offset + 2, ext);
    offset += 4 + 4 * ext;
  }
  out.set(payload, offset);
  if (padding > 0) out[out.length - 1] = padding;
  return out;
}

/** An RFC 4733 telephone-event payload. */
export function dtmfPayload(event: number, end: boolean, duration: number): Uint8Array {
  return new Uint8Array([event, (end ? 0x80 : 0) | 10, (duration >> 8) & 0xff, duration & 0xff]);
}

type Sender = Bun.udp.Socket<"uint8array">;

/** Opens a UDP socket on 127.0.0.1 (ephemeral port) to send test datagrams from. */
export function openSender(): Promise<Sender> {
  return Bun.udpSocket({ hostname: "127.0.0.1", port: 0, binaryType: "uint8array" });
}

/** Sum of every counter a datagram can land in (each datagram lands in exactly one). */
export function handled(s: RtpReceiverStats): number {
  return (
    s.packetsReceived +
    s.packetsLate +
    s.packetsDuplicate +
    s.packetsMalformed +
    s.packetsUnauthenticated +
    s.packetsWrongSource +
    (s.rtcpPackets ?? 0)
  );
}

/** Waits (real time, polling) until `condition` holds; throws after 5 s. */
export async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 5000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(1);
  }
}

/** A receiver on 127.0.0.1 driven by a manual clock, with a sender and the frames it produced. */
export class Harness {
  readonly clock: ManualClock;
  readonly callClock: CallClock;
  readonly frames: MediaFrame[] = [];
  readonly dtmf: DtmfEvent[] = [];
  readonly receiver: RtpReceiver;
  sender!: Sender;
  #senders: Sender[] = [];

  constructor(
    options: Partial<RtpReceiverOptions> = {},
    clock = new ManualClock(),
    callClock: CallClock = { epochUs: 0 },
  ) {
    this.clock = clock;
    this.callClock = callClock;
    this.receiver = createRtpReceiver({
      address: "127.0.0.1",
      port: 0,
      rtcpMux: true,
      formats: [
        { payloadType: 0, codec: "PCMU", rate: 8000 },
        { payloadType: 8, codec: "PCMA", rate: 8000 },
        { payloadType: 101, codec: "telephone-event", rate: 8000 },
      ],
      callClock,
      clock,
      onFrame: (frame) => this.frames.push(frame),
      onDtmf: (event) => this.dtmf.push(event),
      ...options,
    });
  }

  /** Binds the receiver and opens the default sender. */
  async start(): Promise<this> {
    await this.receiver.start();
    this.sender = await this.newSender();
    return this;
  }

  /** Opens another sender socket (closed with the harness). */
  async newSender(): Promise<Sender> {
    const s = await openSender();
    this.#senders.push(s);
    return s;
  }

  /** Sends raw datagrams and waits until the receiver has handled each. */
  async sendRaw(datagrams: Uint8Array[], from: Sender = this.sender): Promise<void> {
    for (const d of datagrams) {
      const before = handled(this.receiver.stats());
      from.send(d, this.receiver.port, "127.0.0.1");
      await waitUntil(() => handled(this.receiver.stats()) > before, "the receiver to handle a datagram");
    }
  }

  /** Sends packets one by one, advancing the manual clock by `stepMs` after each (default 20 ms). */
  async send(packets: TestPacket[], options: { stepMs?: number; from?: Sender } = {}): Promise<void> {
    for (const p of packets) {
      await this.sendRaw([buildRtp(p)], options.from);
      this.clock.advance(options.stepMs ?? 20);
    }
  }

  close(): void {
    this.receiver.close();
    for (const s of this.#senders) s.close();
  }
}

/** Packets `first..first+count-1` of a 20 ms PCMU stream starting at `ts0`. */
export function run(first: number, count: number, ts0 = 1000, extra: Partial<TestPacket> = {}): TestPacket[] {
  return Array.from({ length: count }, (_, i) => ({ seq: first + i, ts: ts0 + (first + i) * 160, ...extra }));
}

/** Checks the tiling invariant: each frame starts where the previous one ended. */
export function holes(frames: MediaFrame[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < frames.length; i++) {
    const prev = frames[i - 1]!;
    const cur = frames[i]!;
    if (cur.pos !== prev.pos + prev.durationSamples)
      out.push(`frame ${i} at ${cur.pos}, previous ends ${prev.pos + prev.durationSamples}`);
  }
  return out;
}
