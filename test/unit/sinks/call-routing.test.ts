import { afterEach, describe, expect, it } from "vitest";
import { type SinkDispatcher, SinkError } from "../../../src/sinks/index.ts";
import { type EaspReceiver, startEaspReceiver } from "../../../src/tools/receive/index.ts";
import { concatBytes, RecordedCall, testPayload, until } from "../../helpers/recorded-call.ts";
import { deinterleave8 } from "../../helpers/wav-reader.ts";
import { SinkHarness, sinkConfig } from "./sink-harness.ts";

let harness: SinkHarness;
const others: EaspReceiver[] = [];

afterEach(async () => {
  await harness.close();
  await Promise.all(others.splice(0).map((r) => r.close()));
});

function payloads(stream: number, from: number, to: number): Uint8Array {
  return concatBytes(Array.from({ length: to - from }, (_, i) => testPayload(stream, from + i)));
}

/** A second receiver on 127.0.0.1, writing into the harness's folder. */
async function otherReceiver(): Promise<EaspReceiver> {
  const receiver = await startEaspReceiver({
    host: "127.0.0.1",
    port: 0,
    outDir: harness.outDir,
    ackIntervalMs: 50,
  });
  others.push(receiver);
  return receiver;
}

/** Frames `from`…`to - 1` on each stream of `call`. */
function speak(call: RecordedCall, from: number, to: number): void {
  for (let k = from; k < to; k++)
    for (let s = 0; s < call.streams.length; s++) call.audio(s, testPayload(s, k));
}

/** The error code `fn` throws. */
function codeOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SinkError) return err.code;
    throw err;
  }
  return "none";
}

const twoParties = [
  { role: "customer" as const, label: "1" },
  { role: "agent" as const, label: "2" },
];

describe("per-call routing (explicit)", () => {
  it("builds no unit before the call is routed, then delivers every frame from the first", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(
      receiver.port,
      { mode: "per-participant", format: "PCMU/8000" },
      { explicitRouting: true },
    );
    const call = new RecordedCall(harness.spool, dispatcher, twoParties);
    speak(call, 0, 30);
    expect(dispatcher.status(call.call.callId)).toEqual([]);
    expect(dispatcher.callSinks(call.call.callId)).toBeUndefined();

    dispatcher.route(call.call.callId, [{ sink: "ai" }]);
    expect(dispatcher.callSinks(call.call.callId)).toEqual([{ sink: "ai", state: "active", overrides: {} }]);
    speak(call, 30, 50);
    call.end();
    await until(() => harness.done.length === 2, "both units delivered");

    for (const [i, stream] of call.streams.entries()) {
      const unit = harness.doneUnit(String(stream.streamId));
      expect(harness.wav(call.call.callId, unit.sessionId, stream.streamId).data).toEqual(payloads(i, 0, 50));
    }
    expect(receiver.stats()).toMatchObject({ records: 100, duplicates: 0, errors: 0 });
    expect(dispatcher.isDelivered(call.call.callId)).toBe(true);
  });

  it("routes a call to one of two sinks: the other gets nothing, and the call is delivered once the routed one is done", async () => {
    harness = new SinkHarness();
    const ai = await harness.startReceiver();
    const qa = await otherReceiver();
    const dispatcher = harness.startDispatcher(
      ai.port,
      { mode: "per-participant", format: "PCMU/8000" },
      {
        explicitRouting: true,
        extraSinks: [sinkConfig("qa", qa.port, { mode: "interleaved", format: "PCMU/8000" })],
      },
    );
    const call = new RecordedCall(harness.spool, dispatcher, twoParties);
    speak(call, 0, 10);
    dispatcher.route(call.call.callId, [{ sink: "qa" }]);
    speak(call, 10, 25);
    call.end();
    await until(() => harness.done.length === 1, "the qa unit delivered");

    const unit = harness.doneUnit("call");
    expect(unit.sink).toBe("qa");
    const [customer, agent] = deinterleave8(harness.wav(call.call.callId, unit.sessionId, 1).data, 2);
    expect(customer).toEqual(payloads(0, 0, 25));
    expect(agent).toEqual(payloads(1, 0, 25));
    expect(ai.stats().sessions).toBe(0);
    expect(dispatcher.isDelivered(call.call.callId)).toBe(true);
    expect(harness.spool.listCallSinks(call.call.callId)?.map((r) => r.sink)).toEqual(["qa"]);
  });

  it("records a call routed to no sink without sending it, and counts it as delivered", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(
      receiver.port,
      { mode: "per-participant", format: "PCMU/8000" },
      { explicitRouting: true },
    );
    const call = new RecordedCall(harness.spool, dispatcher, twoParties);
    dispatcher.route(call.call.callId, []);
    speak(call, 0, 10);
    call.end();
    expect(dispatcher.status(call.call.callId)).toEqual([]);
    expect(dispatcher.callSinks(call.call.callId)).toEqual([]);
    expect(dispatcher.isDelivered(call.call.callId)).toBe(true);
    expect(receiver.stats().sessions).toBe(0);
  });

  it("routes a call that ended before its routing was decided, and delivers all of it", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(
      receiver.port,
      { mode: "interleaved", format: "PCMU/8000" },
      { explicitRouting: true },
    );
    const call = new RecordedCall(harness.spool, dispatcher, twoParties);
    speak(call, 0, 20);
    call.end();
    expect(dispatcher.isDelivered(call.call.callId)).toBe(false);
    dispatcher.route(call.call.callId, [{ sink: "ai" }]);
    await until(() => harness.done.length === 1, "delivery");
    const [customer] = deinterleave8(
      harness.wav(call.call.callId, harness.doneUnit("call").sessionId, 1).data,
      2,
    );
    expect(customer).toEqual(payloads(0, 0, 20));
    expect(dispatcher.isDelivered(call.call.callId)).toBe(true);
  });
});

describe("routing after a restart", () => {
  it("delivers to a sink defined for the call by its url, from what the spool stored", async () => {
    harness = new SinkHarness("spool.db");
    const receiver = await harness.startReceiver();
    const port = receiver.port;
    await harness.stopReceiver();
    const options = { explicitRouting: true };
    const first = harness.startDispatcher(port, { mode: "per-participant", format: "PCMU/8000" }, options);
    const call = new RecordedCall(harness.spool, first, twoParties);
    const url = `ws://127.0.0.1:${port}/adhoc`;
    first.route(call.call.callId, [{ sink: "adhoc", url, mode: "per-participant" }]);
    speak(call, 0, 20);
    call.end();
    await harness.restart();

    const second = harness.startDispatcher(port, { mode: "per-participant", format: "PCMU/8000" }, options);
    second.recover();
    expect(second.status(call.call.callId).map((u) => u.sink)).toEqual(["adhoc", "adhoc"]);
    await harness.startReceiver(port);
    await until(() => harness.done.length === 2, "both units delivered");
    for (const [i, stream] of call.streams.entries()) {
      const unit = harness.doneUnit(String(stream.streamId));
      expect(harness.wav(call.call.callId, unit.sessionId, stream.streamId).data).toEqual(payloads(i, 0, 20));
    }
    expect(second.isDelivered(call.call.callId)).toBe(true);
    expect(second.callSinks(call.call.callId)).toEqual([
      { sink: "adhoc", state: "active", overrides: { url, mode: "per-participant" } },
    ]);
  });
});

describe("startSink (command startStream)", () => {
  it("adds a sink defined by its url mid-call: interleaved PCMU from the call's first frame", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const adhoc = await otherReceiver();
    const dispatcher = harness.startDispatcher(
      receiver.port,
      { mode: "per-participant", format: "PCMU/8000" },
      { explicitRouting: true },
    );
    const call = new RecordedCall(harness.spool, dispatcher, twoParties);
    dispatcher.route(call.call.callId, [{ sink: "ai" }]);
    speak(call, 0, 30);
    const url = `ws://127.0.0.1:${adhoc.port}/x`;
    dispatcher.startSink(call.call.callId, { sink: "adhoc", url });
    speak(call, 30, 45);
    call.end();
    await until(() => harness.done.length === 3, "ai (2 units) and adhoc delivered");

    const unit = harness.done.find((u) => u.sink === "adhoc");
    expect(unit?.unit).toBe("call");
    const [customer, agent] = deinterleave8(harness.wav(call.call.callId, unit?.sessionId ?? "", 1).data, 2);
    expect(customer).toEqual(payloads(0, 0, 45));
    expect(agent).toEqual(payloads(1, 0, 45));
    expect(adhoc.stats()).toMatchObject({ sessions: 1, records: 45, duplicates: 0 });
    expect(dispatcher.callSinks(call.call.callId)).toEqual([
      { sink: "ai", state: "active", overrides: {} },
      { sink: "adhoc", state: "active", overrides: { url } },
    ]);
    expect(dispatcher.isDelivered(call.call.callId)).toBe(true);
  });

  it("adds a configured per-participant sink mid-call: each stream from its first frame", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(
      receiver.port,
      { mode: "per-participant", format: "PCMU/8000" },
      { explicitRouting: true },
    );
    const call = new RecordedCall(harness.spool, dispatcher, twoParties);
    dispatcher.route(call.call.callId, []);
    speak(call, 0, 40);
    dispatcher.startSink(call.call.callId, { sink: "ai" });
    speak(call, 40, 60);
    call.end();
    await until(() => harness.done.length === 2, "both units delivered");
    for (const [i, stream] of call.streams.entries()) {
      const unit = harness.doneUnit(String(stream.streamId));
      expect(harness.wav(call.call.callId, unit.sessionId, stream.streamId).data).toEqual(payloads(i, 0, 60));
    }
  });
});

describe("reconfigure (config reload)", () => {
  it("sends calls routed afterwards to the new definition and keeps units already built on theirs", async () => {
    harness = new SinkHarness();
    const before = await harness.startReceiver();
    const after = await otherReceiver();
    const dispatcher = harness.startDispatcher(before.port, { mode: "per-participant", format: "PCMU/8000" });
    const first = new RecordedCall(harness.spool, dispatcher, [{ role: "customer", label: "1" }]);
    speak(first, 0, 10);
    dispatcher.reconfigure([sinkConfig("ai", after.port, { mode: "interleaved", format: "PCMU/8000" })]);
    const second = new RecordedCall(harness.spool, dispatcher, [{ role: "customer", label: "1" }]);
    speak(first, 10, 20);
    speak(second, 0, 20);
    first.end();
    second.end();
    await until(() => harness.done.length === 2, "both calls delivered");

    expect(harness.done.map((u) => [u.callId, u.unit]).sort()).toEqual(
      [
        [first.call.callId, String(first.streams[0]?.streamId)],
        [second.call.callId, "call"],
      ].sort(),
    );
    expect(before.stats()).toMatchObject({ sessions: 1, records: 20 });
    expect(after.stats()).toMatchObject({ sessions: 1, records: 20 });
    expect(dispatcher.isDelivered(first.call.callId)).toBe(true);
    expect(dispatcher.isDelivered(second.call.callId)).toBe(true);
  });

  it("refuses a definition it cannot use and keeps the old ones", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, {
      mode: "per-participant",
      format: "PCMU/8000",
    });
    const bad = sinkConfig("ai", receiver.port, {
      mode: "per-participant",
      format: "PCMU/8000",
      url: "http://x/",
    });
    expect(codeOf(() => dispatcher.reconfigure([bad]))).toBe("SINK_CONFIG");
    const call = new RecordedCall(harness.spool, dispatcher, [{ role: "customer", label: "1" }]);
    speak(call, 0, 5);
    call.end();
    await until(() => harness.done.length === 1, "delivered on the old definition");
  });
});

describe("routing errors", () => {
  function setup(explicitRouting: boolean): { dispatcher: SinkDispatcher; call: RecordedCall } {
    harness = new SinkHarness();
    const dispatcher = harness.startDispatcher(
      9,
      { mode: "per-participant", format: "PCMU/8000" },
      { explicitRouting, extraSinks: [sinkConfig("qa", 9, { mode: "interleaved", format: "PCMU/8000" })] },
    );
    return { dispatcher, call: new RecordedCall(harness.spool, dispatcher, twoParties) };
  }

  it("refuses commands for calls it does not know, or that ended", () => {
    const { dispatcher, call } = setup(true);
    expect(codeOf(() => dispatcher.route("no-such-call", []))).toBe("SINK_UNKNOWN_CALL");
    expect(codeOf(() => dispatcher.startSink("no-such-call", { sink: "ai" }))).toBe("SINK_UNKNOWN_CALL");
    expect(codeOf(() => dispatcher.stopSink("no-such-call", "ai"))).toBe("SINK_UNKNOWN_CALL");
    dispatcher.route(call.call.callId, [{ sink: "ai" }]);
    call.end();
    expect(codeOf(() => dispatcher.startSink(call.call.callId, { sink: "qa" }))).toBe("SINK_UNKNOWN_CALL");
    expect(codeOf(() => dispatcher.stopSink(call.call.callId, "ai"))).toBe("SINK_UNKNOWN_CALL");
  });

  it("routes a call once, with known sinks only, each once", () => {
    const { dispatcher, call } = setup(true);
    const { callId } = call.call;
    expect(codeOf(() => dispatcher.startSink(callId, { sink: "ai" }))).toBe("SINK_NOT_ROUTED");
    expect(codeOf(() => dispatcher.route(callId, [{ sink: "nope" }]))).toBe("SINK_UNKNOWN");
    expect(codeOf(() => dispatcher.route(callId, [{ sink: "ai" }, { sink: "ai" }]))).toBe("SINK_CONFIG");
    expect(codeOf(() => dispatcher.route(callId, [{ sink: "x", url: "http://host/" }]))).toBe("SINK_CONFIG");
    expect(codeOf(() => dispatcher.route(callId, [{ sink: "ai", format: "G729/8000" as "PCMU/8000" }]))).toBe(
      "SINK_CONFIG",
    );
    expect(dispatcher.callSinks(callId)).toBeUndefined();
    expect(harness.spool.listCallSinks(callId)).toBeUndefined();
    dispatcher.route(callId, [{ sink: "ai" }]);
    expect(codeOf(() => dispatcher.route(callId, [{ sink: "qa" }]))).toBe("SINK_ALREADY_ROUTED");
    expect(codeOf(() => dispatcher.startSink(callId, { sink: "nope" }))).toBe("SINK_UNKNOWN");
    expect(codeOf(() => dispatcher.startSink(callId, { sink: "ai" }))).toBe("SINK_ALREADY_STARTED");
    expect(codeOf(() => dispatcher.stopSink(callId, "qa"))).toBe("SINK_ALREADY_STOPPED");
    dispatcher.stopSink(callId, "ai");
    expect(codeOf(() => dispatcher.stopSink(callId, "ai"))).toBe("SINK_ALREADY_STOPPED");
    expect(codeOf(() => dispatcher.startSink(callId, { sink: "ai", format: "L16/8000" }))).toBe(
      "SINK_CONFIG",
    );
  });

  it("routes every call by default, so route() is refused and the commands apply at once", () => {
    const { dispatcher, call } = setup(false);
    const { callId } = call.call;
    expect(codeOf(() => dispatcher.route(callId, []))).toBe("SINK_ALREADY_ROUTED");
    expect(dispatcher.callSinks(callId)?.map((s) => s.sink)).toEqual(["ai", "qa"]);
    expect(harness.spool.listCallSinks(callId)).toBeUndefined();
    dispatcher.stopSink(callId, "qa");
    expect(harness.spool.listCallSinks(callId)?.map((r) => [r.sink, r.stopped])).toEqual([
      ["ai", false],
      ["qa", true],
    ]);
  });
});
