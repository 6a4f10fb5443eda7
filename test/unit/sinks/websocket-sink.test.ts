import { alaw, mulaw } from "alawmulaw";
import { afterEach, describe, expect, it } from "vitest";
import { concatBytes, nextTurn, RecordedCall, testPayload, until } from "../../helpers/recorded-call.ts";
import { deinterleave8, deinterleave16le } from "../../helpers/wav-reader.ts";
import { SinkHarness } from "./sink-harness.ts";

let harness: SinkHarness;

afterEach(async () => {
  await harness.close();
});

/** Feeds `frames` frames to every stream, letting the event loop run every 25 frames (live-like). */
async function feed(
  call: RecordedCall,
  from: number,
  to: number,
  streams = call.streams.length,
): Promise<void> {
  for (let k = from; k < to; k++) {
    for (let s = 0; s < streams; s++) call.audio(s, testPayload(s, k));
    if (k % 25 === 24) await nextTurn();
  }
}

function payloads(stream: number, from: number, to: number): Uint8Array {
  return concatBytes(Array.from({ length: to - from }, (_, i) => testPayload(stream, from + i)));
}

describe("WebSocket sink (EASP/1) with the reference receiver", () => {
  it("delivers each participant's PCMU bytes unchanged, one session per stream, and marks the cursors done", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, {
      mode: "per-participant",
      format: "PCMU/8000",
    });
    const call = new RecordedCall(harness.spool, dispatcher, [
      { role: "agent", label: "1" },
      { role: "customer", label: "2" },
    ]);
    await feed(call, 0, 500);
    call.end();
    await until(() => harness.done.length === 2, "both units done");

    for (const [i, stream] of call.streams.entries()) {
      const unit = harness.doneUnit(String(stream.streamId));
      const wav = harness.wav(call.call.callId, unit.sessionId, stream.streamId);
      expect({ tag: wav.formatTag, channels: wav.channels, rate: wav.rate, bits: wav.bitsPerSample }).toEqual(
        {
          tag: 7,
          channels: 1,
          rate: 8000,
          bits: 8,
        },
      );
      expect(wav.data).toEqual(payloads(i, 0, 500));
      expect(wav.riffSize).toBe(wav.fileSize - 8);
      expect(harness.spool.getCursor(call.call.callId, "ai", String(stream.streamId))).toEqual({
        callId: call.call.callId,
        sink: "ai",
        unit: String(stream.streamId),
        sessionId: unit.sessionId,
        ackedSeq: 502,
        done: true,
      });
      const session = harness.sessionFile(call.call.callId, unit.sessionId);
      expect(session.committed).toBe(502);
      expect(session.items.map((item) => [item.type, item.seq])).toEqual([
        ["stream.start", 1],
        ["stream.end", 502],
      ]);
      expect(session.open.participants.map((p) => p.role)).toEqual(["agent", "customer"]);
      expect(session.open.streams[0]?.channelMap[0]?.participantId).toBe(`p${i}`);
    }
    expect(receiver.stats()).toMatchObject({ sessions: 2, records: 1000, duplicates: 0, errors: 0 });
  });

  it("sends L16 as big-endian 16-bit samples that decode to exactly what alawmulaw gives", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, {
      mode: "per-participant",
      format: "L16/8000",
    });
    const call = new RecordedCall(harness.spool, dispatcher, [
      { role: "customer", label: "a", codec: "PCMA" },
    ]);
    await feed(call, 0, 100);
    call.end();
    await until(() => harness.done.length === 1, "unit done");

    const stream = call.streams[0]!;
    const wav = harness.wav(
      call.call.callId,
      harness.doneUnit(String(stream.streamId)).sessionId,
      stream.streamId,
    );
    expect({ tag: wav.formatTag, bits: wav.bitsPerSample }).toEqual({ tag: 1, bits: 16 });
    expect(deinterleave16le(wav.data, 1)[0]).toEqual(alaw.decode(payloads(0, 0, 100)));
  });

  it("transcodes PCMA streams when the sink format is PCMU", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, {
      mode: "per-participant",
      format: "PCMU/8000",
    });
    const call = new RecordedCall(harness.spool, dispatcher, [{ role: "agent", label: "a", codec: "PCMA" }]);
    await feed(call, 0, 50);
    call.end();
    await until(() => harness.done.length === 1, "unit done");

    const stream = call.streams[0]!;
    const wav = harness.wav(
      call.call.callId,
      harness.doneUnit(String(stream.streamId)).sessionId,
      stream.streamId,
    );
    expect(wav.data).toEqual(mulaw.encode(alaw.decode(payloads(0, 0, 50))));
  });

  it("interleaves a stereo stream with the customer on channel 0, aligned sample-accurately, late start silence-filled", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, { mode: "interleaved", format: "PCMU/8000" });
    const call = new RecordedCall(harness.spool, dispatcher, [
      { role: "agent", label: "1" },
      { role: "customer", label: "2" },
    ]);
    const lateStart = 2440; // 305 ms: the customer's frames straddle the 20 ms output slots
    call.startAt(1, lateStart);
    for (let k = 0, j = 0; k < 500 || j < 500; k++) {
      if (k < 500) call.audio(0, testPayload(0, k));
      if (k * 160 >= lateStart - 160 && j < 500) call.audio(1, testPayload(1, j++));
      if (k % 25 === 24) await nextTurn();
    }
    call.end();
    await until(() => harness.done.length === 1, "interleaved unit done");

    const unit = harness.doneUnit("call");
    const wav = harness.wav(call.call.callId, unit.sessionId, 1);
    expect({ tag: wav.formatTag, channels: wav.channels }).toEqual({ tag: 7, channels: 2 });
    const total = Math.ceil((lateStart + 500 * 160) / 160) * 160;
    const [customer, agent] = deinterleave8(wav.data, 2);
    expect(customer?.length).toBe(total);
    const silence = (n: number): Uint8Array => new Uint8Array(n).fill(0xff);
    expect(customer).toEqual(
      concatBytes([silence(lateStart), payloads(1, 0, 500), silence(total - lateStart - 80_000)]),
    );
    expect(agent).toEqual(concatBytes([payloads(0, 0, 500), silence(total - 80_000)]));

    const session = harness.sessionFile(call.call.callId, unit.sessionId);
    expect(session.open.mode).toBe("interleaved");
    expect(session.open.streams[0]?.channelMap.map((c) => c.participantId)).toEqual(["p1", "p0"]);
    expect(session.committed).toBe(total / 160 + 2);
    expect(harness.spool.getCursor(call.call.callId, "ai", "call")?.done).toBe(true);
  });

  it("writes slots where no participant has media as GAP NO_MEDIA, keeping the timeline", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, { mode: "interleaved", format: "L16/8000" });
    const call = new RecordedCall(harness.spool, dispatcher, [
      { role: "customer", label: "1" },
      { role: "agent", label: "2" },
    ]);
    await feed(call, 0, 10);
    call.gap(0, 800, 1);
    call.gap(1, 800, 1);
    await feed(call, 15, 20);
    call.end();
    await until(() => harness.done.length === 1, "interleaved unit done");

    const unit = harness.doneUnit("call");
    const session = harness.sessionFile(call.call.callId, unit.sessionId);
    expect(session.streams["1"]?.gaps).toEqual([{ pos: 1600, durationSamples: 800, reason: 1 }]);
    const [customer] = deinterleave16le(harness.wav(call.call.callId, unit.sessionId, 1).data, 2);
    expect(customer?.length).toBe(20 * 160);
    expect(customer?.subarray(1600, 2400).every((s) => s === 0)).toBe(true);
    expect(customer?.subarray(2400, 2560)).toEqual(mulaw.decode(testPayload(0, 15)));
  });
});

describe("WebSocket sink across outages", () => {
  it("loses nothing when the receiver dies mid-call and comes back on the same port", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const port = receiver.port;
    const dispatcher = harness.startDispatcher(port, { mode: "per-participant", format: "PCMU/8000" });
    const call = new RecordedCall(harness.spool, dispatcher, [
      { role: "agent", label: "1" },
      { role: "customer", label: "2" },
    ]);
    await feed(call, 0, 200);
    await until(() => receiver.stats().records >= 200, "audio at the receiver");
    await harness.stopReceiver();
    await feed(call, 200, 350);
    await until(() => harness.disconnects.length === 2, "both units disconnected");
    await harness.startReceiver(port);
    await feed(call, 350, 500);
    call.end();
    await until(() => harness.done.length === 2, "both units done");

    for (const [i, stream] of call.streams.entries()) {
      const unit = harness.doneUnit(String(stream.streamId));
      expect(harness.wav(call.call.callId, unit.sessionId, stream.streamId).data).toEqual(
        payloads(i, 0, 500),
      );
      expect(unit.reconnects).toBeGreaterThan(0);
      expect(harness.sessionFile(call.call.callId, unit.sessionId).counts.records).toBe(500);
    }
  });

  it("resumes an interleaved session from the spool after the receiver restarts", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const port = receiver.port;
    const dispatcher = harness.startDispatcher(port, { mode: "interleaved", format: "PCMA/8000" });
    const call = new RecordedCall(harness.spool, dispatcher, [
      { role: "customer", label: "1", codec: "PCMA" },
      { role: "agent", label: "2", codec: "PCMA" },
    ]);
    await feed(call, 0, 150);
    await until(() => receiver.stats().records >= 100, "audio at the receiver");
    await harness.stopReceiver();
    await feed(call, 150, 300);
    await harness.startReceiver(port);
    await feed(call, 300, 400);
    call.end();
    await until(() => harness.done.length === 1, "unit done");

    const unit = harness.doneUnit("call");
    const [customer, agent] = deinterleave8(harness.wav(call.call.callId, unit.sessionId, 1).data, 2);
    expect(customer).toEqual(payloads(0, 0, 400));
    expect(agent).toEqual(payloads(1, 0, 400));
  });

  it("delivers a call recorded while the receiver was unreachable, from the spool, once it appears", async () => {
    harness = new SinkHarness();
    const probe = await harness.startReceiver();
    const port = probe.port;
    await harness.stopReceiver();
    const dispatcher = harness.startDispatcher(port, { mode: "per-participant", format: "PCMU/8000" });
    const call = new RecordedCall(harness.spool, dispatcher, [{ role: "customer", label: "1" }]);
    await feed(call, 0, 300);
    call.end();
    await until(() => (dispatcher.status()[0]?.reconnects ?? 0) >= 2, "reconnect attempts");
    expect(dispatcher.status()[0]).toMatchObject({
      state: expect.stringMatching(/backoff|connecting/),
      ackedSeq: 0,
    });

    await harness.startReceiver(port);
    await until(() => harness.done.length === 1, "unit done");
    const stream = call.streams[0]!;
    const unit = harness.doneUnit(String(stream.streamId));
    expect(harness.wav(call.call.callId, unit.sessionId, stream.streamId).data).toEqual(payloads(0, 0, 300));
    expect(harness.spool.getCursor(call.call.callId, "ai", String(stream.streamId))).toMatchObject({
      ackedSeq: 302,
      done: true,
    });
  });
});
