import { afterEach, describe, expect, it } from "vitest";
import { createSinkDispatcher } from "../../../src/sinks/index.ts";
import { FrameKind, type Spool, type StreamRecord } from "../../../src/spool/index.ts";
import { concatBytes, RecordedCall, testPayload, until } from "../../helpers/recorded-call.ts";
import { deinterleave8 } from "../../helpers/wav-reader.ts";
import { ScriptedReceiver } from "./scripted-receiver.ts";
import { SinkHarness } from "./sink-harness.ts";

let harness: SinkHarness;
let scripted: ScriptedReceiver | undefined;

afterEach(async () => {
  await harness.close();
  await scripted?.stop();
  scripted = undefined;
});

function payloads(stream: number, from: number, to: number): Uint8Array {
  return concatBytes(Array.from({ length: to - from }, (_, i) => testPayload(stream, from + i)));
}

/** A call stored by the SRS but never seen by a dispatcher (a crash before its units existed). */
function storedCall(spool: Spool, frames: number, streams = 2): { callId: string; streams: StreamRecord[] } {
  const callId = `call-${crypto.randomUUID()}`;
  const epochUs = Date.UTC(2025, 0, 1) * 1000;
  spool.createCall({
    callId,
    sipCallId: `${callId}@sbc`,
    siprecSessionId: "",
    correlation: {},
    source: "192.0.2.10:5060",
    startedUs: epochUs - 10_000,
    epochUs,
    endedUs: 0,
    state: "live",
    reason: "",
    metadataXml: "",
    participants: [],
  });
  const records = Array.from({ length: streams }, (_, i) =>
    spool.createStream({
      callId,
      label: String(i + 1),
      siprecStreamId: "",
      participantId: `p${i}`,
      role: i === 0 ? "customer" : "agent",
      mlineIndex: i,
      codec: "PCMU",
      rate: 8000,
      payloadType: 0,
      startedUs: epochUs - 5_000,
    }),
  );
  for (const [i, stream] of records.entries()) {
    for (let k = 0; k < frames; k++) {
      spool.appendFrame(stream.streamId, {
        kind: FrameKind.Audio,
        flags: 0,
        gapReason: 0,
        rtpSeq: k,
        pos: k * 160,
        captureUs: epochUs + k * 20_000,
        durationSamples: 160,
        payload: testPayload(i, k),
      });
    }
    spool.endStream(stream.streamId, epochUs + frames * 20_000);
  }
  spool.endCall(callId, "recovered", "recovered", epochUs + frames * 20_000);
  return { callId, streams: records };
}

describe("dispatcher.recover() after a restart", () => {
  it("delivers a call that ended while the receiver was down, every byte exactly once", async () => {
    harness = new SinkHarness("spool.db");
    const receiver = await harness.startReceiver();
    const port = receiver.port;
    const first = harness.startDispatcher(port, { mode: "per-participant", format: "PCMU/8000" });
    const call = new RecordedCall(harness.spool, first, [
      { role: "customer", label: "1" },
      { role: "agent", label: "2" },
    ]);
    for (let k = 0; k < 100; k++) for (const s of [0, 1]) call.audio(s, testPayload(s, k));
    await until(() => first.status().every((u) => u.ackedSeq === 101), "half the call acknowledged");
    await harness.stopReceiver();
    for (let k = 100; k < 200; k++) for (const s of [0, 1]) call.audio(s, testPayload(s, k));
    call.end();
    const spool = await harness.restart();
    expect(spool.getCursor(call.call.callId, "ai", String(call.streams[0]?.streamId))).toMatchObject({
      ackedSeq: 101,
      done: false,
    });

    const second = harness.startDispatcher(port, { mode: "per-participant", format: "PCMU/8000" });
    const caughtUpBefore = harness.caughtUp.length;
    expect(second.isDelivered(call.call.callId)).toBe(false);
    second.recover();
    expect(second.status(call.call.callId)).toHaveLength(2);
    const restarted = await harness.startReceiver(port);
    await until(() => harness.done.length === 2, "both units delivered");

    for (const [i, stream] of call.streams.entries()) {
      const unit = harness.doneUnit(String(stream.streamId));
      expect(harness.wav(call.call.callId, unit.sessionId, stream.streamId).data).toEqual(
        payloads(i, 0, 200),
      );
      const session = harness.sessionFile(call.call.callId, unit.sessionId);
      expect(session.counts).toMatchObject({ records: 200, duplicates: 0 });
      expect(session.items.map((item) => item.type)).toEqual(["stream.start", "stream.end"]);
      expect(session.streams[String(stream.streamId)]?.replayRecords).toBeGreaterThanOrEqual(100);
    }
    expect(restarted.stats()).toMatchObject({ records: 200, duplicates: 0, errors: 0 });
    expect(harness.caughtUp.length - caughtUpBefore).toBe(2);
    expect(second.isDelivered(call.call.callId)).toBe(true);
  });

  it("delivers an interleaved call whose units were never created (crash between call start and unit creation)", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const stored = storedCall(harness.spool, 50);
    const dispatcher = harness.startDispatcher(receiver.port, { mode: "interleaved", format: "PCMU/8000" });
    expect(dispatcher.isDelivered(stored.callId)).toBe(false);
    dispatcher.recover();
    await until(() => harness.done.length === 1, "delivery");

    const unit = harness.doneUnit("call");
    const [customer, agent] = deinterleave8(harness.wav(stored.callId, unit.sessionId, 1).data, 2);
    expect(customer).toEqual(payloads(0, 0, 50));
    expect(agent).toEqual(payloads(1, 0, 50));
    expect(harness.sessionFile(stored.callId, unit.sessionId).items.at(-1)).toMatchObject({
      type: "stream.end",
      reason: "recovered",
    });
    expect(dispatcher.isDelivered(stored.callId)).toBe(true);
  });

  it("leaves delivered and live calls alone", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const first = harness.startDispatcher(receiver.port, { mode: "per-participant", format: "PCMU/8000" });
    const delivered = new RecordedCall(harness.spool, first, [{ role: "customer", label: "1" }]);
    delivered.audio(0, testPayload(0, 0));
    delivered.end();
    await until(() => harness.done.length === 1, "delivery");
    const live = new RecordedCall(harness.spool, first, [{ role: "customer", label: "1" }]);
    live.audio(0, testPayload(0, 0));
    await first.close();

    const second = harness.startDispatcher(receiver.port, { mode: "per-participant", format: "PCMU/8000" });
    second.recover();
    expect(second.status()).toEqual([]);
    expect(second.isDelivered(delivered.call.callId)).toBe(true);
    expect(second.isDelivered(live.call.callId)).toBe(false);
  });

  it("connects at most recoveryConcurrency recovered units at a time per sink", async () => {
    harness = new SinkHarness();
    scripted = ScriptedReceiver.start();
    const receiver = scripted;
    const calls = [
      storedCall(harness.spool, 20, 1),
      storedCall(harness.spool, 20, 1),
      storedCall(harness.spool, 20, 1),
    ];
    const dispatcher = harness.startDispatcher(
      receiver.port,
      { mode: "per-participant", format: "PCMU/8000" },
      { recoveryConcurrency: 1 },
    );
    dispatcher.recover();
    expect(dispatcher.status().map((u) => u.state)).toEqual(["connecting", "connecting", "connecting"]);
    await until(() => harness.done.length === 3, "every call delivered");
    const lifecycle = receiver.texts
      .filter((t) => t.message.type === "open" || t.message.type === "close")
      .map((t) => t.message.type);
    expect(lifecycle).toEqual(["open", "close", "open", "close", "open", "close"]);
    expect(calls.every((c) => dispatcher.isDelivered(c.callId))).toBe(true);
  });
});

describe("dispatcher.isDelivered()", () => {
  it("is true for every call when no sink is configured", () => {
    harness = new SinkHarness();
    const stored = storedCall(harness.spool, 5);
    const dispatcher = createSinkDispatcher({
      sinks: [],
      spool: harness.spool,
      applianceId: "a",
      version: "0",
    });
    expect(dispatcher.isDelivered(stored.callId)).toBe(true);
  });

  it("needs every stream's unit done in per-participant mode, and no unit for an interleaved call without audio", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, {
      mode: "per-participant",
      format: "PCMU/8000",
    });
    const stored = storedCall(harness.spool, 5);
    const [a, b] = stored.streams as [StreamRecord, StreamRecord];
    harness.spool.saveCursor({
      callId: stored.callId,
      sink: "ai",
      unit: String(a.streamId),
      sessionId: "s-a",
      ackedSeq: 7,
      done: true,
    });
    expect(dispatcher.isDelivered(stored.callId)).toBe(false);
    harness.spool.saveCursor({
      callId: stored.callId,
      sink: "ai",
      unit: String(b.streamId),
      sessionId: "s-b",
      ackedSeq: 7,
      done: true,
    });
    expect(dispatcher.isDelivered(stored.callId)).toBe(true);

    const silent = storedCall(harness.spool, 0);
    const interleaved = createSinkDispatcher({
      sinks: [
        {
          name: "mix",
          type: "websocket",
          url: "ws://127.0.0.1:9/",
          protocol: "easp",
          mode: "interleaved",
          format: "PCMU/8000",
          headers: {},
        },
      ],
      spool: harness.spool,
      applianceId: "a",
      version: "0",
    });
    expect(interleaved.isDelivered(silent.callId)).toBe(true);
    expect(interleaved.isDelivered(stored.callId)).toBe(false);
  });
});
