import { createSocket, type Socket } from "node:dgram";
import { alaw, mulaw } from "alawmulaw";
import { afterEach, describe, expect, it } from "vitest";
import { FrameFlags, FrameKind, GapReason } from "../../../src/lib/index.ts";
import {
  createRtpSender,
  type MediaError,
  type MediaFrame,
  type RtpSender,
  type RtpSenderOptions,
} from "../../../src/media/index.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";

/** One RTP packet as a remote SRS would see it. */
interface Received {
  version: number;
  marker: boolean;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
  raw: Uint8Array;
}

/** A UDP listener on 127.0.0.1 playing the remote SRS's RTP port. */
class Listener {
  readonly packets: Received[] = [];
  readonly #socket: Socket;
  #waiter: { count: number; resolve: () => void } | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("message", (msg: Buffer) => {
      const raw = new Uint8Array(msg);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      this.packets.push({
        version: (raw[0] ?? 0) >> 6,
        marker: ((raw[1] ?? 0) & 0x80) !== 0,
        payloadType: (raw[1] ?? 0) & 0x7f,
        seq: view.getUint16(2),
        timestamp: view.getUint32(4),
        ssrc: view.getUint32(8),
        payload: raw.subarray(12),
        raw,
      });
      if (this.#waiter && this.packets.length >= this.#waiter.count) this.#waiter.resolve();
    });
  }

  static async open(): Promise<Listener> {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    return new Listener(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Resolves once `count` packets have arrived in total. */
  received(count: number): Promise<Received[]> {
    if (this.packets.length >= count) return Promise.resolve(this.packets);
    return new Promise((resolve) => {
      this.#waiter = { count, resolve: () => resolve(this.packets) };
    });
  }

  close(): void {
    this.#socket.close();
  }
}

function audio(pos: number, payload: Uint8Array, flags = 0): MediaFrame {
  return {
    kind: FrameKind.Audio,
    flags,
    gapReason: 0,
    rtpSeq: pos / 160,
    pos,
    captureUs: 1_700_000_000_000_000 + pos * 125,
    durationSamples: payload.length,
    payload,
  };
}

function gap(pos: number, durationSamples: number): MediaFrame {
  return {
    kind: FrameKind.Gap,
    flags: 0,
    gapReason: GapReason.NoMedia,
    rtpSeq: 0,
    pos,
    captureUs: 1_700_000_000_000_000 + pos * 125,
    durationSamples,
    payload: new Uint8Array(0),
  };
}

/** 20 ms of distinct G.711 bytes for frame `n`. */
function bytes(n: number, length = 160): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (n * 31 + i * 7) & 0xff);
}

const open: { close(): void }[] = [];
afterEach(() => {
  for (const item of open.splice(0)) item.close();
});

async function setup(options: Partial<RtpSenderOptions> = {}): Promise<{
  listener: Listener;
  sender: RtpSender;
  clock: ManualClock;
}> {
  const listener = await Listener.open();
  open.push(listener);
  const clock = new ManualClock();
  const sender = createRtpSender({
    localAddress: "127.0.0.1",
    localPort: 0,
    remote: { address: "127.0.0.1", port: listener.port },
    payloadType: 0,
    codec: "PCMU",
    sourceCodec: "PCMU",
    clock,
    ...options,
  });
  open.push(sender);
  await sender.start();
  return { listener, sender, clock };
}

describe("RtpSender", () => {
  it("sends each frame's bytes as one RTP packet with seq +1 and timestamp +160 per 20 ms", async () => {
    const { listener, sender } = await setup({ maxRate: 0, payloadType: 0 });
    for (let n = 0; n < 5; n++) sender.enqueue(audio(8000 + n * 160, bytes(n)));
    const packets = await listener.received(5);
    expect(packets.map((p) => [...p.payload])).toEqual([0, 1, 2, 3, 4].map((n) => [...bytes(n)]));
    for (const [i, p] of packets.entries()) {
      const first = packets[0]!;
      expect(p.version).toBe(2);
      expect(p.payloadType).toBe(0);
      expect(p.ssrc).toBe(sender.ssrc);
      expect(p.seq).toBe((first.seq + i) & 0xffff);
      expect(p.timestamp).toBe((first.timestamp + i * 160) >>> 0);
    }
    expect(packets.map((p) => p.marker)).toEqual([true, false, false, false, false]);
    expect(sender.stats()).toMatchObject({ packetsSent: 5, octetsSent: 800, bytesSent: 5 * 172 });
  });

  it("starts its sequence number below 2^15 and picks its own SSRC", async () => {
    const a = await setup({ maxRate: 0 });
    const b = await setup({ maxRate: 0 });
    a.sender.enqueue(audio(0, bytes(0)));
    const [packet] = await a.listener.received(1);
    expect(packet?.seq).toBeLessThan(2 ** 15);
    expect(a.sender.ssrc).not.toBe(b.sender.ssrc);
  });

  it("uses the negotiated payload type and a given SSRC", async () => {
    const { listener, sender } = await setup({ maxRate: 0, payloadType: 96, ssrc: 0xdeadbeef });
    sender.enqueue(audio(0, bytes(0)));
    const [packet] = await listener.received(1);
    expect(packet).toMatchObject({ payloadType: 96, ssrc: 0xdeadbeef });
  });

  it("transcodes PCMU frames to PCMA when PCMA was negotiated", async () => {
    const { listener, sender } = await setup({
      maxRate: 0,
      payloadType: 8,
      codec: "PCMA",
      sourceCodec: "PCMU",
    });
    const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    sender.enqueue(audio(0, allBytes.subarray(0, 160)));
    sender.enqueue(audio(160, allBytes.subarray(96, 256)));
    const packets = await listener.received(2);
    expect([...(packets[0]?.payload ?? [])]).toEqual([
      ...alaw.encode(mulaw.decode(allBytes.subarray(0, 160))),
    ]);
    expect([...(packets[1]?.payload ?? [])]).toEqual([
      ...alaw.encode(mulaw.decode(allBytes.subarray(96, 256))),
    ]);
    expect(packets[0]?.payloadType).toBe(8);
  });

  it("transcodes PCMA frames to PCMU the other way round", async () => {
    const { listener, sender } = await setup({
      maxRate: 0,
      payloadType: 0,
      codec: "PCMU",
      sourceCodec: "PCMA",
    });
    sender.enqueue(audio(0, bytes(3)));
    const [packet] = await listener.received(1);
    expect([...(packet?.payload ?? [])]).toEqual([...mulaw.encode(alaw.decode(bytes(3)))]);
  });

  it("advances the timestamp over a GAP frame without packets and marks the next packet", async () => {
    const { listener, sender } = await setup({ maxRate: 0 });
    sender.enqueue(audio(0, bytes(0)));
    sender.enqueue(audio(160, bytes(1)));
    sender.enqueue(gap(320, 8000));
    sender.enqueue(audio(8320, bytes(2)));
    sender.enqueue(audio(8480, bytes(3)));
    const packets = await listener.received(4);
    const ts0 = packets[0]?.timestamp ?? 0;
    expect(packets.map((p) => (p.timestamp - ts0) >>> 0)).toEqual([0, 160, 8320, 8480]);
    expect(packets.map((p) => (p.seq - (packets[0]?.seq ?? 0)) & 0xffff)).toEqual([0, 1, 2, 3]);
    expect(packets.map((p) => p.marker)).toEqual([true, false, true, false]);
  });

  it("treats a hole in the positions like a gap, and keeps a frame's own marker flag", async () => {
    const { listener, sender } = await setup({ maxRate: 0 });
    sender.enqueue(audio(0, bytes(0)));
    sender.enqueue(audio(480, bytes(1)));
    sender.enqueue(audio(640, bytes(2), FrameFlags.Marker));
    sender.enqueue(audio(800, bytes(3)));
    const packets = await listener.received(4);
    const ts0 = packets[0]?.timestamp ?? 0;
    expect(packets.map((p) => (p.timestamp - ts0) >>> 0)).toEqual([0, 480, 640, 800]);
    expect(packets.map((p) => p.marker)).toEqual([true, true, true, false]);
  });

  it("paces packets in real time on the injected clock", async () => {
    const { listener, sender, clock } = await setup();
    for (let n = 0; n < 4; n++) sender.enqueue(audio(n * 160, bytes(n)));
    expect(sender.stats().packetsSent).toBe(1);
    clock.advance(19);
    expect(sender.stats().packetsSent).toBe(1);
    clock.advance(1);
    expect(sender.stats().packetsSent).toBe(2);
    clock.advance(20);
    expect(sender.stats().packetsSent).toBe(3);
    expect(sender.queuedFrames).toBe(1);
    clock.advance(20);
    expect(sender.stats()).toMatchObject({ packetsSent: 4, queuedFrames: 0 });
    expect((await listener.received(4)).map((p) => [...p.payload])).toEqual(
      [0, 1, 2, 3].map((n) => [...bytes(n)]),
    );
  });

  it("waits out a GAP frame's duration before the next packet", async () => {
    const { sender, clock } = await setup();
    sender.enqueue(audio(0, bytes(0)));
    sender.enqueue(gap(160, 1600));
    sender.enqueue(audio(1760, bytes(1)));
    clock.advance(200);
    expect(sender.stats().packetsSent).toBe(1);
    clock.advance(20);
    expect(sender.stats().packetsSent).toBe(2);
  });

  it("sends a catch-up replay at maxRate times real time", async () => {
    const { sender, clock } = await setup({ maxRate: 2 });
    for (let n = 0; n < 5; n++) sender.enqueue(audio(n * 160, bytes(n)));
    expect(sender.stats().packetsSent).toBe(1);
    clock.advance(10);
    expect(sender.stats().packetsSent).toBe(2);
    clock.advance(30);
    expect(sender.stats().packetsSent).toBe(5);
  });

  it("sends a backlog as fast as possible with maxRate 0, yielding between batches", async () => {
    const listener = await Listener.open();
    open.push(listener);
    const clock = new ManualClock();
    const sender = createRtpSender({
      localAddress: "127.0.0.1",
      localPort: 0,
      remote: { address: "127.0.0.1", port: listener.port },
      payloadType: 0,
      codec: "PCMU",
      sourceCodec: "PCMU",
      maxRate: 0,
      clock,
    });
    open.push(sender);
    for (let n = 0; n < 150; n++) sender.enqueue(audio(n * 160, bytes(n)));
    await sender.start();
    expect(sender.stats().packetsSent).toBe(64);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(0);
    expect(sender.stats().packetsSent).toBe(150);
    await sender.whenDrained();
    expect((await listener.received(150)).map((p) => p.payload[0])).toEqual(
      Array.from({ length: 150 }, (_, n) => bytes(n)[0]),
    );
  });

  it("sends frames that arrive slightly late at once, and restarts pacing after a long stall", async () => {
    const { sender, clock } = await setup();
    sender.enqueue(audio(0, bytes(0)));
    clock.advance(50);
    sender.enqueue(audio(160, bytes(1)));
    sender.enqueue(audio(320, bytes(2)));
    expect(sender.stats().packetsSent).toBe(3);
    clock.advance(1000);
    sender.enqueue(audio(480, bytes(3)));
    sender.enqueue(audio(640, bytes(4)));
    sender.enqueue(audio(800, bytes(5)));
    expect(sender.stats()).toMatchObject({ packetsSent: 4, scheduleResets: 1 });
    clock.advance(40);
    expect(sender.stats().packetsSent).toBe(6);
  });

  it("sends nothing while paused, keeps time, and marks the first packet after resuming", async () => {
    const { listener, sender, clock } = await setup();
    sender.enqueue(audio(0, bytes(0)));
    sender.setPaused(true);
    for (let n = 1; n < 4; n++) sender.enqueue(audio(n * 160, bytes(n)));
    clock.advance(60);
    expect(sender.stats()).toMatchObject({ packetsSent: 1, framesSkipped: 3, queuedFrames: 0 });
    sender.setPaused(false);
    sender.enqueue(audio(640, bytes(4)));
    sender.enqueue(audio(800, bytes(5)));
    clock.advance(40);
    const packets = await listener.received(3);
    const ts0 = packets[0]?.timestamp ?? 0;
    expect(packets.map((p) => (p.timestamp - ts0) >>> 0)).toEqual([0, 640, 800]);
    expect(packets.map((p) => (p.seq - (packets[0]?.seq ?? 0)) & 0xffff)).toEqual([0, 1, 2]);
    expect(packets.map((p) => p.marker)).toEqual([true, true, false]);
  });

  it("passes each RTP packet through the protect hook and sends what it returns", async () => {
    const seen: number[][] = [];
    const protect = (packet: Uint8Array): Uint8Array => {
      seen.push([...packet]);
      const out = new Uint8Array(packet.length + 4);
      out.set(packet);
      out.set([0xaa, 0xbb, 0xcc, 0xdd], packet.length);
      return out;
    };
    const { listener, sender } = await setup({ maxRate: 0, protect });
    sender.enqueue(audio(0, bytes(0)));
    sender.enqueue(audio(160, bytes(1)));
    const packets = await listener.received(2);
    expect(packets.map((p) => [...p.raw])).toEqual(seen.map((plain) => [...plain, 0xaa, 0xbb, 0xcc, 0xdd]));
    expect([...(packets[1]?.payload.subarray(0, 160) ?? [])]).toEqual([...bytes(1)]);
    expect(sender.stats()).toMatchObject({ packetsSent: 2, octetsSent: 320, bytesSent: 2 * 176 });
  });

  it("queues frames given before start and sends them once the socket is up", async () => {
    const listener = await Listener.open();
    open.push(listener);
    const sender = createRtpSender({
      localAddress: "127.0.0.1",
      localPort: 0,
      remote: { address: "127.0.0.1", port: listener.port },
      payloadType: 0,
      codec: "PCMU",
      sourceCodec: "PCMU",
      maxRate: 0,
      clock: new ManualClock(),
    });
    open.push(sender);
    sender.enqueue(audio(0, bytes(0)));
    expect(sender.queuedFrames).toBe(1);
    await sender.start();
    expect(sender.localPort).toBeGreaterThan(0);
    expect((await listener.received(1)).length).toBe(1);
  });

  it("moves the stream to a new remote address and continues seq and timestamp", async () => {
    const { listener, sender } = await setup({ maxRate: 0 });
    const other = await Listener.open();
    open.push(other);
    sender.enqueue(audio(0, bytes(0)));
    const [first] = await listener.received(1);
    await sender.setRemote({ address: "127.0.0.1", port: other.port });
    sender.enqueue(audio(160, bytes(1)));
    const [moved] = await other.received(1);
    expect(moved?.seq).toBe(((first?.seq ?? 0) + 1) & 0xffff);
    expect(moved?.timestamp).toBe(((first?.timestamp ?? 0) + 160) >>> 0);
    expect(listener.packets).toHaveLength(1);
  });

  it("sends to a remote changed before start", async () => {
    const first = await Listener.open();
    const second = await Listener.open();
    open.push(first, second);
    const sender = createRtpSender({
      localAddress: "127.0.0.1",
      localPort: 0,
      remote: { address: "127.0.0.1", port: first.port },
      payloadType: 0,
      codec: "PCMU",
      sourceCodec: "PCMU",
      maxRate: 0,
      clock: new ManualClock(),
    });
    open.push(sender);
    await sender.setRemote({ address: "127.0.0.1", port: second.port });
    await sender.start();
    sender.enqueue(audio(0, bytes(0)));
    expect((await second.received(1)).length).toBe(1);
    expect(first.packets).toHaveLength(0);
  });

  it("resolves whenDrained once the queue is empty", async () => {
    const { sender, clock } = await setup();
    for (let n = 0; n < 3; n++) sender.enqueue(audio(n * 160, bytes(n)));
    let drained = false;
    const done = sender.whenDrained().then(() => {
      drained = true;
    });
    clock.advance(20);
    await Promise.resolve();
    expect(drained).toBe(false);
    clock.advance(20);
    await done;
    expect(drained).toBe(true);
  });

  it("fails with MEDIA_BIND when the local port is taken", async () => {
    const taken = createSocket("udp4");
    await new Promise<void>((resolve) => taken.bind(0, "127.0.0.1", resolve));
    open.push(taken);
    const sender = createRtpSender({
      localAddress: "127.0.0.1",
      localPort: taken.address().port,
      remote: { address: "127.0.0.1", port: 9 },
      payloadType: 0,
      codec: "PCMU",
      sourceCodec: "PCMU",
    });
    open.push(sender);
    const err = await sender.start().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "MEDIA_BIND",
      port: taken.address().port,
    } satisfies Partial<MediaError>);
  });

  it("refuses a bad payload type, a negative maxRate and a remote that is not an IP", () => {
    const base: RtpSenderOptions = {
      localAddress: "127.0.0.1",
      localPort: 0,
      remote: { address: "127.0.0.1", port: 5004 },
      payloadType: 0,
      codec: "PCMU",
      sourceCodec: "PCMU",
    };
    expect(() => createRtpSender({ ...base, payloadType: 128 })).toThrow(RangeError);
    expect(() => createRtpSender({ ...base, maxRate: -1 })).toThrow(RangeError);
    expect(() => createRtpSender({ ...base, remote: { address: "srs.example.com", port: 5004 } })).toThrow(
      TypeError,
    );
    expect(() => createRtpSender({ ...base, remote: { address: "127.0.0.1", port: 0 } })).toThrow(RangeError);
  });

  it("stops sending and drops queued frames when closed", async () => {
    const { sender, clock } = await setup();
    for (let n = 0; n < 3; n++) sender.enqueue(audio(n * 160, bytes(n)));
    sender.close();
    sender.close();
    clock.advance(100);
    sender.enqueue(audio(480, bytes(3)));
    expect(sender.stats()).toMatchObject({ packetsSent: 1, queuedFrames: 0 });
    expect(clock.pendingTimers).toBe(0);
    await expect(sender.start()).rejects.toMatchObject({ code: "INVALID_STATE" });
  });
});
