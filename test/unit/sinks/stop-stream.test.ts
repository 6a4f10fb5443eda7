import { afterEach, describe, expect, it } from "vitest";
import type { SinkDispatcher, SinkUnitStatus } from "../../../src/sinks/index.ts";
import { FrameKind, type StreamRecord } from "../../../src/spool/index.ts";
import { concatBytes, RecordedCall, testPayload, until } from "../../helpers/recorded-call.ts";
import { deinterleave8 } from "../../helpers/wav-reader.ts";
import { SinkHarness, sinkConfig } from "./sink-harness.ts";

let harness: SinkHarness;

afterEach(async () => {
  await harness.close();
});

function payloads(stream: number, from: number, to: number): Uint8Array {
  return concatBytes(Array.from({ length: to - from }, (_, i) => testPayload(stream, from + i)));
}

/** Frames `from`…`to - 1` on each stream of `call`. */
function speak(call: RecordedCall, from: number, to: number): void {
  for (let k = from; k < to; k++)
    for (let s = 0; s < call.streams.length; s++) call.audio(s, testPayload(s, k));
}

function doneOf(sink: string, unit: string): SinkUnitStatus {
  const found = harness.done.find((u) => u.sink === sink && u.unit === unit);
  if (!found) throw new Error(`unit ${sink}/${unit} is not done`);
  return found;
}

const oneParty = [{ role: "customer" as const, label: "1" }];
const twoParties = [
  { role: "customer" as const, label: "1" },
  { role: "agent" as const, label: "2" },
];

describe("stopSink (command stopStream)", () => {
  it("delivers up to the cut, then ends the session with stream.end stopped and close", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, {
      mode: "per-participant",
      format: "PCMU/8000",
    });
    const call = new RecordedCall(harness.spool, dispatcher, twoParties);
    speak(call, 0, 30);
    dispatcher.stopSink(call.call.callId, "ai");
    speak(call, 30, 50);
    await until(() => harness.done.length === 2, "both units delivered while the call goes on");
    expect(dispatcher.callSinks(call.call.callId)).toEqual([{ sink: "ai", state: "stopped", overrides: {} }]);

    for (const [i, stream] of call.streams.entries()) {
      const unit = harness.doneUnit(String(stream.streamId));
      expect(harness.wav(call.call.callId, unit.sessionId, stream.streamId).data).toEqual(payloads(i, 0, 30));
      expect(harness.sessionFile(call.call.callId, unit.sessionId).items.at(-1)).toMatchObject({
        type: "stream.end",
        reason: "stopped",
        endPos: 30 * 160,
      });
    }
    expect(dispatcher.isDelivered(call.call.callId)).toBe(false);
    call.end();
    expect(dispatcher.isDelivered(call.call.callId)).toBe(true);
    expect(receiver.stats()).toMatchObject({ records: 60, duplicates: 0, errors: 0 });
  });

  it("cuts an interleaved session at its newest slot", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, { mode: "interleaved", format: "PCMU/8000" });
    const call = new RecordedCall(harness.spool, dispatcher, twoParties);
    speak(call, 0, 25);
    dispatcher.stopSink(call.call.callId, "ai");
    speak(call, 25, 40);
    call.end();
    await until(() => harness.done.length === 1, "delivery");
    const unit = harness.doneUnit("call");
    const [customer, agent] = deinterleave8(harness.wav(call.call.callId, unit.sessionId, 1).data, 2);
    expect(customer).toEqual(payloads(0, 0, 25));
    expect(agent).toEqual(payloads(1, 0, 25));
    expect(harness.sessionFile(call.call.callId, unit.sessionId).items.at(-1)).toMatchObject({
      type: "stream.end",
      reason: "stopped",
    });
    expect(dispatcher.isDelivered(call.call.callId)).toBe(true);
  });

  it("starts a stopped sink again on a continuation segment from the live edge, without the stopped span", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, {
      mode: "per-participant",
      format: "PCMU/8000",
    });
    const call = new RecordedCall(harness.spool, dispatcher, oneParty);
    const stream = call.streams[0] as StreamRecord;
    speak(call, 0, 20);
    dispatcher.stopSink(call.call.callId, "ai");
    speak(call, 20, 30);
    dispatcher.startSink(call.call.callId, { sink: "ai" });
    expect(dispatcher.callSinks(call.call.callId)).toEqual([{ sink: "ai", state: "active", overrides: {} }]);
    speak(call, 30, 45);
    call.end();
    await until(() => harness.done.length === 2, "both segments delivered");

    const first = harness.doneUnit(String(stream.streamId));
    const second = harness.doneUnit(`${stream.streamId}#1`);
    expect(harness.wav(call.call.callId, first.sessionId, stream.streamId).data).toEqual(payloads(0, 0, 20));
    expect(harness.wav(call.call.callId, second.sessionId, stream.streamId).data).toEqual(
      payloads(0, 30, 45),
    );
    const continued = harness.sessionFile(call.call.callId, second.sessionId);
    expect(continued).toMatchObject({ segment: 1, continuationOf: first.sessionId });
    expect(continued.items[0]).toMatchObject({ type: "stream.start", firstPos: 30 * 160 });
    expect(continued.items.at(-1)).toMatchObject({ type: "stream.end", reason: "bye" });
    expect(dispatcher.isDelivered(call.call.callId)).toBe(true);
  });

  it("gives a stream that started while the sink was stopped a session from the live edge when it starts again", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, {
      mode: "per-participant",
      format: "PCMU/8000",
    });
    const call = new RecordedCall(harness.spool, dispatcher, oneParty);
    dispatcher.stopSink(call.call.callId, "ai");
    const late = lateStream(dispatcher, call);
    for (let k = 0; k < 10; k++) late.frame(k);
    dispatcher.startSink(call.call.callId, { sink: "ai" });
    for (let k = 10; k < 25; k++) late.frame(k);
    late.end();
    call.end();
    await until(
      () => harness.done.some((u) => u.unit === String(late.stream.streamId)),
      "the late stream delivered",
    );

    const unit = harness.doneUnit(String(late.stream.streamId));
    expect(harness.wav(call.call.callId, unit.sessionId, late.stream.streamId).data).toEqual(
      payloads(7, 10, 25),
    );
    expect(harness.sessionFile(call.call.callId, unit.sessionId).items[0]).toMatchObject({
      type: "stream.start",
      firstPos: 10 * 160,
    });
  });
});

describe("routing after a restart", () => {
  it("recovers only the routed sinks, and a stopped sink only up to its cut", async () => {
    harness = new SinkHarness("spool.db");
    const port = (await harness.startReceiver()).port;
    await harness.stopReceiver();
    const sinks = {
      explicitRouting: true,
      extraSinks: [
        sinkConfig("qa", port, { mode: "interleaved", format: "PCMU/8000" }),
        sinkConfig("zz", port, { mode: "per-participant", format: "PCMU/8000" }),
      ],
    };
    const first = harness.startDispatcher(port, { mode: "per-participant", format: "PCMU/8000" }, sinks);
    const call = new RecordedCall(harness.spool, first, twoParties);
    first.route(call.call.callId, [{ sink: "ai" }, { sink: "qa" }]);
    speak(call, 0, 30);
    first.stopSink(call.call.callId, "ai");
    speak(call, 30, 50);
    call.end();
    await harness.restart();

    const second = harness.startDispatcher(port, { mode: "per-participant", format: "PCMU/8000" }, sinks);
    expect(second.isDelivered(call.call.callId)).toBe(false);
    expect(second.callSinks(call.call.callId)?.map((s) => [s.sink, s.state])).toEqual([
      ["ai", "stopped"],
      ["qa", "active"],
    ]);
    second.recover();
    expect(
      second
        .status(call.call.callId)
        .map((u) => `${u.sink}/${u.unit}`)
        .sort(),
    ).toEqual([`ai/${call.streams[0]?.streamId}`, `ai/${call.streams[1]?.streamId}`, "qa/call"].sort());
    await harness.startReceiver(port);
    await until(() => harness.done.length === 3, "ai (2 units) and qa delivered");

    for (const [i, stream] of call.streams.entries()) {
      const unit = doneOf("ai", String(stream.streamId));
      expect(harness.wav(call.call.callId, unit.sessionId, stream.streamId).data).toEqual(payloads(i, 0, 30));
      expect(harness.sessionFile(call.call.callId, unit.sessionId).items.at(-1)).toMatchObject({
        reason: "stopped",
      });
    }
    const mixed = doneOf("qa", "call");
    const [customer, agent] = deinterleave8(harness.wav(call.call.callId, mixed.sessionId, 1).data, 2);
    expect(customer).toEqual(payloads(0, 0, 50));
    expect(agent).toEqual(payloads(1, 0, 50));
    expect(harness.done.some((u) => u.sink === "zz")).toBe(false);
    expect(second.isDelivered(call.call.callId)).toBe(true);
  });

  it("recovers a sink stopped and started again: the span before the stop and the one after the restart", async () => {
    harness = new SinkHarness("spool.db");
    const port = (await harness.startReceiver()).port;
    await harness.stopReceiver();
    const first = harness.startDispatcher(port, { mode: "interleaved", format: "PCMU/8000" });
    const call = new RecordedCall(harness.spool, first, twoParties);
    speak(call, 0, 20);
    first.stopSink(call.call.callId, "ai");
    speak(call, 20, 30);
    first.startSink(call.call.callId, { sink: "ai" });
    speak(call, 30, 40);
    call.end();
    await harness.restart();

    const second = harness.startDispatcher(port, { mode: "interleaved", format: "PCMU/8000" });
    second.recover();
    await harness.startReceiver(port);
    await until(() => harness.done.length === 2, "both segments delivered");

    const before = harness.doneUnit("call");
    const after = harness.doneUnit("call#1");
    const [customerBefore] = deinterleave8(harness.wav(call.call.callId, before.sessionId, 1).data, 2);
    const [customerAfter] = deinterleave8(harness.wav(call.call.callId, after.sessionId, 1).data, 2);
    expect(customerBefore).toEqual(payloads(0, 0, 20));
    expect(customerAfter).toEqual(payloads(0, 30, 40));
    expect(harness.sessionFile(call.call.callId, before.sessionId).items.at(-1)).toMatchObject({
      reason: "stopped",
    });
    expect(harness.sessionFile(call.call.callId, after.sessionId)).toMatchObject({
      segment: 1,
      continuationOf: before.sessionId,
    });
    expect(second.isDelivered(call.call.callId)).toBe(true);
  });

  it("falls back to every configured sink for a call that was never routed", async () => {
    harness = new SinkHarness("spool.db");
    const receiver = await harness.startReceiver();
    const first = harness.startDispatcher(
      receiver.port,
      { mode: "per-participant", format: "PCMU/8000" },
      { explicitRouting: true },
    );
    const call = new RecordedCall(harness.spool, first, oneParty);
    speak(call, 0, 10);
    await harness.restart();
    harness.spool.recoverLiveCalls(Date.now() * 1000);

    const second = harness.startDispatcher(
      receiver.port,
      { mode: "per-participant", format: "PCMU/8000" },
      { explicitRouting: true },
    );
    expect(second.callSinks(call.call.callId)).toBeUndefined();
    expect(second.isDelivered(call.call.callId)).toBe(false);
    second.recover();
    await until(() => harness.done.length === 1, "delivered to every configured sink");
    const unit = harness.doneUnit(String(call.streams[0]?.streamId));
    expect(harness.wav(call.call.callId, unit.sessionId, call.streams[0]?.streamId ?? 0).data).toEqual(
      payloads(0, 0, 10),
    );
    expect(second.isDelivered(call.call.callId)).toBe(true);
  });
});

/** A stream that starts after the call's first streams: frames with payloads of test stream 7. */
function lateStream(
  dispatcher: SinkDispatcher,
  call: RecordedCall,
): { stream: StreamRecord; frame(k: number): void; end(): void } {
  const spool = harness.spool;
  const stream = spool.createStream({
    callId: call.call.callId,
    label: "late",
    siprecStreamId: "late",
    participantId: "p-late",
    role: "agent",
    mlineIndex: 5,
    codec: "PCMU",
    rate: 8000,
    payloadType: 0,
    startedUs: call.call.epochUs,
  });
  dispatcher.streamStarted(call.call, stream);
  return {
    stream,
    frame(k: number): void {
      const input = {
        kind: FrameKind.Audio,
        flags: 0,
        gapReason: 0,
        rtpSeq: k,
        pos: k * 160,
        captureUs: call.call.epochUs + k * 20_000,
        durationSamples: 160,
        payload: testPayload(7, k),
      };
      const idx = spool.appendFrame(stream.streamId, input);
      dispatcher.frame({ ...input, streamId: stream.streamId, idx });
    },
    end(): void {
      spool.endStream(stream.streamId, call.call.epochUs + 60_000_000);
      dispatcher.streamEnded(stream, "bye");
    },
  };
}
