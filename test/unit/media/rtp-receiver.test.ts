import { afterEach, describe, expect, it } from "vitest";
import { InvalidStateError } from "../../../src/lib/index.ts";
import type { RtpReceiver } from "../../../src/media/index.ts";
import { createPortPool, createRtpReceiver, MediaError, transcodeG711 } from "../../../src/media/index.ts";
import { FrameKind, GapReason } from "../../../src/spool/index.ts";
import { buildRtp, Harness, handled, holes, openSender, run, waitUntil } from "./rtp-harness.ts";

const open: Harness[] = [];

function withPaddingBit(datagram: Uint8Array): Uint8Array {
  datagram[0] = (datagram[0] ?? 0) | 0x20;
  return datagram;
}

async function harness(...args: ConstructorParameters<typeof Harness>): Promise<Harness> {
  const h = new Harness(...args);
  open.push(h);
  return h.start();
}
afterEach(() => {
  for (const h of open.splice(0)) h.close();
});

describe("RTP receiver: ingest", () => {
  it("emits in-order packets at once as audio frames that tile the timeline from pos 0", async () => {
    const h = await harness();
    const t0 = h.clock.wallUs();
    await h.send(run(1, 5));
    expect(h.frames.map((f) => [f.kind, f.rtpSeq, f.pos, f.durationSamples])).toEqual([
      [FrameKind.Audio, 1, 0, 160],
      [FrameKind.Audio, 2, 160, 160],
      [FrameKind.Audio, 3, 320, 160],
      [FrameKind.Audio, 4, 480, 160],
      [FrameKind.Audio, 5, 640, 160],
    ]);
    expect(h.callClock.epochUs).toBe(t0);
    expect(h.frames.map((f) => f.captureUs - t0)).toEqual([0, 20_000, 40_000, 60_000, 80_000]);
    expect(h.frames.every((f) => f.payload.length === 160 && f.payload[0] === 0x55)).toBe(true);
    expect(h.receiver.stats()).toMatchObject({
      packetsReceived: 5,
      bytesReceived: 800,
      packetsLost: 0,
      ssrc: 0x1234abcd,
    });
  });

  it("hands out the payload as a view of the datagram, without CSRCs, header extension and padding", async () => {
    const h = await harness();
    const payload = Uint8Array.from({ length: 160 }, (_, i) => i);
    const datagram = buildRtp({ seq: 1, ts: 0, payload, csrcs: [7, 8], extensionWords: 2, padding: 7 });
    await h.sendRaw([datagram]);
    const frame = h.frames[0]!;
    expect([...frame.payload]).toEqual([...payload]);
    expect(frame.payload.byteOffset).toBe(12 + 8 + 12);
    expect(frame.payload.buffer.byteLength).toBe(datagram.length);
  });

  it("turns a sequence gap not filled within the reorder window into a PacketLoss gap of the missing span", async () => {
    const h = await harness();
    await h.send([...run(1, 2), ...run(4, 2)]);
    expect(h.frames).toHaveLength(2);
    h.clock.advance(60);
    expect(h.frames.map((f) => [f.kind, f.gapReason, f.rtpSeq, f.pos, f.durationSamples])).toEqual([
      [FrameKind.Audio, 0, 1, 0, 160],
      [FrameKind.Audio, 0, 2, 160, 160],
      [FrameKind.Gap, GapReason.PacketLoss, 3, 320, 160],
      [FrameKind.Audio, 0, 4, 480, 160],
      [FrameKind.Audio, 0, 5, 640, 160],
    ]);
    expect(h.frames[2]?.payload.length).toBe(0);
    expect(h.receiver.stats().packetsLost).toBe(1);
  });

  it("makes reordering within the window invisible: frames come out in order and nothing is lost", async () => {
    const h = await harness();
    await h.send([1, 3, 2, 5, 4, 6].map((seq) => ({ seq, ts: 1000 + seq * 160 })));
    expect(h.frames.map((f) => f.rtpSeq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(h.frames.every((f) => f.kind === FrameKind.Audio)).toBe(true);
    expect(holes(h.frames)).toEqual([]);
    expect(h.receiver.stats()).toMatchObject({ packetsLost: 0, packetsLate: 0, packetsReceived: 6 });
  });

  it("counts and drops a packet arriving after its slot was given up, and duplicates", async () => {
    const h = await harness();
    await h.send([
      { seq: 1, ts: 160 },
      { seq: 3, ts: 480 },
    ]);
    h.clock.advance(60);
    await h.send([
      { seq: 2, ts: 320 },
      { seq: 3, ts: 480 },
      { seq: 1, ts: 160 },
    ]);
    expect(h.frames.map((f) => [f.kind, f.rtpSeq])).toEqual([
      [FrameKind.Audio, 1],
      [FrameKind.Gap, 2],
      [FrameKind.Audio, 3],
    ]);
    expect(h.receiver.stats()).toMatchObject({
      packetsLost: 1,
      packetsLate: 1,
      packetsDuplicate: 2,
      packetsReceived: 2,
    });
  });

  it("counts a duplicate of a packet still held in the reorder buffer", async () => {
    const h = await harness();
    await h.send([
      { seq: 1, ts: 160 },
      { seq: 3, ts: 480 },
      { seq: 3, ts: 480 },
      { seq: 2, ts: 320 },
    ]);
    expect(h.frames.map((f) => f.rtpSeq)).toEqual([1, 2, 3]);
    expect(h.receiver.stats().packetsDuplicate).toBe(1);
  });

  it("releases what the reorder buffer holds on flush, with the hole as a loss gap", async () => {
    const h = await harness();
    await h.send([
      { seq: 1, ts: 160 },
      { seq: 3, ts: 480 },
    ]);
    h.receiver.flush();
    expect(h.frames.map((f) => [f.kind, f.rtpSeq, f.pos])).toEqual([
      [FrameKind.Audio, 1, 0],
      [FrameKind.Gap, 2, 160],
      [FrameKind.Audio, 3, 320],
    ]);
  });

  it("keeps frames tiling, in order and complete under random loss, reordering and duplication", async () => {
    const h = await harness();
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const sent: number[] = [];
    for (let seq = 1; seq <= 200; seq++) if (seq === 200 || random() > 0.1) sent.push(seq);
    for (let i = 0; i + 1 < sent.length; i++) {
      if (random() < 0.1) {
        [sent[i], sent[i + 1]] = [sent[i + 1]!, sent[i]!];
        i++; // one slot (20 ms) late at most: well inside the 60 ms window
      }
    }
    const wire = sent.flatMap((seq) => (random() < 0.05 ? [seq, seq] : [seq]));
    await h.send(wire.map((seq) => ({ seq, ts: seq * 160 })));
    h.receiver.flush();
    const stats = h.receiver.stats();
    const audio = h.frames.filter((f) => f.kind === FrameKind.Audio).map((f) => f.rtpSeq);
    const lossSamples = h.frames
      .filter((f) => f.gapReason === GapReason.PacketLoss)
      .reduce((n, f) => n + f.durationSamples, 0);
    expect(holes(h.frames)).toEqual([]);
    expect(audio).toEqual([...new Set(sent)].sort((a, b) => a - b));
    expect(stats.packetsLost).toBe(200 - audio.length);
    expect(lossSamples).toBe(160 * stats.packetsLost);
    expect(stats.packetsDuplicate).toBe(wire.length - sent.length);
  });

  it("extends sequence numbers across the 65535 → 0 wrap without loss", async () => {
    const h = await harness();
    await h.send([65534, 65535, 0, 1].map((seq, i) => ({ seq, ts: 5000 + i * 160 })));
    expect(h.frames.map((f) => [f.rtpSeq, f.pos])).toEqual([
      [65534, 0],
      [65535, 160],
      [65536, 320],
      [65537, 480],
    ]);
    expect(h.receiver.stats().packetsLost).toBe(0);
  });

  it("takes a sequence jump beyond 3000 as a sender restart, not as loss", async () => {
    const h = await harness();
    await h.send([
      { seq: 1, ts: 160 },
      { seq: 2, ts: 320 },
      { seq: 40000, ts: 480 },
      { seq: 40001, ts: 640 },
    ]);
    expect(h.frames.map((f) => [f.kind, f.rtpSeq, f.pos])).toEqual([
      [FrameKind.Audio, 1, 0],
      [FrameKind.Audio, 2, 160],
      [FrameKind.Audio, 40000, 320],
      [FrameKind.Audio, 40001, 480],
    ]);
    expect(h.receiver.stats().packetsLost).toBe(0);
  });

  it("sets the Marker flag from the RTP marker bit", async () => {
    const h = await harness();
    await h.send([
      { seq: 1, ts: 0, marker: true },
      { seq: 2, ts: 160 },
    ]);
    expect(h.frames.map((f) => f.flags & 8)).toEqual([8, 0]);
  });

  it("transcodes packets of the other G.711 law to the stream's codec", async () => {
    const h = await harness();
    const alaw = Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff);
    await h.send([{ seq: 1, ts: 0, pt: 8, payload: alaw }]);
    expect([...(h.frames[0]?.payload ?? [])]).toEqual([...transcodeG711("PCMA", "PCMU", alaw)]);
  });
});

describe("RTP receiver: sources and bad input", () => {
  it("drops and counts packets from an address other than the SDP's when not latching", async () => {
    const expected = await openSender();
    try {
      const h = await harness({ remote: { address: "127.0.0.1", port: expected.port }, latch: false });
      const other = await h.newSender();
      await h.send(run(1, 2), { from: expected });
      await h.send(run(3, 2), { from: other });
      await h.send(run(5, 1), { from: expected });
      h.clock.advance(60);
      expect(h.frames.map((f) => [f.kind, f.rtpSeq])).toEqual([
        [FrameKind.Audio, 1],
        [FrameKind.Audio, 2],
        [FrameKind.Gap, 3],
        [FrameKind.Audio, 5],
      ]);
      expect(h.receiver.stats().packetsWrongSource).toBe(2);
    } finally {
      expected.close();
    }
  });

  it("accepts any port of the SDP's address when the SDP gives port 0", async () => {
    const h = await harness({ remote: { address: "127.0.0.1", port: 0 }, latch: false });
    const other = await h.newSender();
    await h.send(run(1, 1));
    await h.send(run(2, 1), { from: other });
    expect(h.frames.map((f) => f.rtpSeq)).toEqual([1, 2]);
    expect(h.receiver.stats().packetsWrongSource).toBe(0);
  });

  it("latches on the first source and then drops packets from any other", async () => {
    const h = await harness();
    const other = await h.newSender();
    await h.send(run(1, 2));
    await h.send(run(3, 2), { from: other });
    await h.send(run(5, 1));
    h.clock.advance(60);
    expect(h.frames.filter((f) => f.kind === FrameKind.Audio).map((f) => f.rtpSeq)).toEqual([1, 2, 5]);
    expect(h.receiver.stats().packetsWrongSource).toBe(2);
  });

  it("counts garbage, RTCP on the RTP port and unknown payload types as malformed and keeps working", async () => {
    const h = await harness({ rtcpMux: false });
    const senderReport = new Uint8Array(28);
    senderReport.set([0x80, 200, 0, 6]);
    const versionOne = buildRtp({ seq: 9, ts: 0 });
    versionOne[0] = 0x40;
    await h.sendRaw([
      new TextEncoder().encode("OPTIONS sip:x SIP/2.0\r\n\r\n"),
      new Uint8Array([0x80, 0, 0, 1, 0]),
      new Uint8Array(0),
      versionOne,
      senderReport,
      buildRtp({ seq: 1, ts: 0, pt: 96 }),
      buildRtp({ seq: 1, ts: 0, payload: new Uint8Array(8), extensionWords: 0 }).map((b, i) =>
        i === 15 ? 9 : b,
      ),
      withPaddingBit(buildRtp({ seq: 1, ts: 0, payload: new Uint8Array([1, 0]) })),
      withPaddingBit(buildRtp({ seq: 1, ts: 0, payload: new Uint8Array([1, 200]) })),
    ]);
    expect(h.receiver.stats().packetsMalformed).toBe(9);
    await h.send(run(1, 1));
    expect(h.frames).toHaveLength(1);
  });

  it("counts RTCP on the RTP port as RTCP with rtcp-mux", async () => {
    const h = await harness({ rtcpMux: true });
    const receiverReport = new Uint8Array(32);
    receiverReport.set([0x81, 201, 0, 7]);
    await h.sendRaw([receiverReport]);
    expect(h.receiver.stats()).toMatchObject({ rtcpPackets: 1, packetsMalformed: 0 });
  });

  it("binds RTCP on port+1 and counts what arrives there", async () => {
    const pool = createPortPool([43000, 43999]);
    const sender = await openSender();
    let receiver: RtpReceiver | undefined;
    for (let attempt = 0; attempt < 20 && !receiver; attempt++) {
      const candidate = createRtpReceiver({
        address: "127.0.0.1",
        port: pool.allocate(),
        formats: [{ payloadType: 0, codec: "PCMU", rate: 8000 }],
        callClock: { epochUs: 0 },
        onFrame: () => {},
      });
      try {
        await candidate.start();
        receiver = candidate;
      } catch (err) {
        if (!(err instanceof MediaError && err.code === "MEDIA_BIND")) throw err;
        candidate.close();
      }
    }
    if (!receiver) throw new Error("no free port pair in 43000–43999");
    try {
      expect(receiver.port % 2).toBe(0);
      sender.send(new Uint8Array([0x80, 201, 0, 1, 0, 0, 0, 1]), receiver.port + 1, "127.0.0.1");
      await waitUntil(() => handled(receiver.stats()) === 1, "the RTCP packet");
      expect(receiver.stats().rtcpPackets).toBe(1);
    } finally {
      receiver.close();
      sender.close();
    }
  });

  it("keeps receiving when onFrame throws", async () => {
    let calls = 0;
    const h = await harness({
      onFrame: () => {
        calls++;
        throw new Error("listener bug");
      },
    });
    await h.send(run(1, 3));
    expect(calls).toBe(3);
    expect(h.receiver.stats().packetsReceived).toBe(3);
  });
});

describe("RTP receiver: lifecycle", () => {
  it("reports MEDIA_BIND with the port when the port is taken", async () => {
    const squatter = await openSender();
    const receiver = createRtpReceiver({
      address: "127.0.0.1",
      port: squatter.port,
      rtcpMux: true,
      formats: [{ payloadType: 0, codec: "PCMU", rate: 8000 }],
      callClock: { epochUs: 0 },
      onFrame: () => {},
    });
    try {
      const err = await receiver.start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MediaError);
      expect(err).toMatchObject({ code: "MEDIA_BIND", port: squatter.port });
    } finally {
      receiver.close();
      squatter.close();
    }
  });

  it("can start once the port it failed to bind is free again", async () => {
    const squatter = await openSender();
    const port = squatter.port;
    const receiver = createRtpReceiver({
      address: "127.0.0.1",
      port,
      rtcpMux: true,
      formats: [{ payloadType: 0, codec: "PCMU", rate: 8000 }],
      callClock: { epochUs: 0 },
      onFrame: () => {},
    });
    try {
      await expect(receiver.start()).rejects.toMatchObject({ code: "MEDIA_BIND" });
      squatter.close();
      await receiver.start();
      expect(receiver.port).toBe(port);
    } finally {
      receiver.close();
      squatter.close();
    }
  });

  it("closes idempotently and refuses to start again", async () => {
    const h = await harness();
    h.receiver.close();
    h.receiver.close();
    await expect(h.receiver.start()).rejects.toBeInstanceOf(InvalidStateError);
  });

  it("rejects formats without a G.711 codec", () => {
    expect(() =>
      createRtpReceiver({
        address: "127.0.0.1",
        port: 0,
        formats: [{ payloadType: 101, codec: "telephone-event", rate: 8000 }],
        callClock: { epochUs: 0 },
        onFrame: () => {},
      }),
    ).toThrow(TypeError);
  });
});
