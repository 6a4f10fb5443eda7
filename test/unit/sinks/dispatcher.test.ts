import { afterEach, describe, expect, it } from "vitest";
import { nextTurn, RecordedCall, testPayload, until } from "../../helpers/recorded-call.ts";
import { SinkHarness } from "./sink-harness.ts";

let harness: SinkHarness;

afterEach(async () => {
  await harness.close();
});

describe("sink dispatcher", () => {
  it("reports each unit of a call while live and after delivery", async () => {
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
    for (let k = 0; k < 10; k++) for (const s of [0, 1]) call.audio(s, testPayload(s, k));
    await until(() => dispatcher.status(call.call.callId).every((u) => u.state === "open"), "units open");
    expect(dispatcher.status().map((u) => u.unit)).toEqual(call.streams.map((s) => String(s.streamId)));
    call.end();
    await until(() => harness.done.length === 2, "units done");
    expect(dispatcher.status()).toEqual([]);
    expect(dispatcher.status(call.call.callId).map((u) => [u.state, u.ackedSeq])).toEqual([
      ["done", 12],
      ["done", 12],
    ]);
  });

  it("on close, waits for the receiver to acknowledge what was sent and keeps the cursor open", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, {
      mode: "per-participant",
      format: "PCMU/8000",
    });
    const call = new RecordedCall(harness.spool, dispatcher, [{ role: "customer", label: "1" }]);
    for (let k = 0; k < 40; k++) call.audio(0, testPayload(0, k));
    await until(() => dispatcher.status()[0]?.sentSeq === 41, "everything sent");
    await dispatcher.close();
    const unit = String(call.streams[0]?.streamId);
    expect(harness.spool.getCursor(call.call.callId, "ai", unit)).toMatchObject({
      ackedSeq: 41,
      done: false,
    });
  });

  it("sends the leading channel's audio after the hold-back when the other channel has none", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver();
    const dispatcher = harness.startDispatcher(receiver.port, { mode: "interleaved", format: "PCMU/8000" });
    const call = new RecordedCall(harness.spool, dispatcher, [
      { role: "customer", label: "1" },
      { role: "agent", label: "2" },
    ]);
    for (let k = 0; k < 10; k++) call.audio(0, testPayload(0, k));
    await nextTurn();
    await until(() => receiver.stats().records === 10, "ten slots at the receiver");
    expect(dispatcher.status()[0]).toMatchObject({ state: "open", sentSeq: 11 });
  });
});
