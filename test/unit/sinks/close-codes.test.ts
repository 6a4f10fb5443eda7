import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../helpers/manual-clock.ts";
import { nextTurn, RecordedCall, testPayload, until } from "../../helpers/recorded-call.ts";
import { ScriptedReceiver } from "./scripted-receiver.ts";
import { SinkHarness } from "./sink-harness.ts";

let harness: SinkHarness;
let receiver: ScriptedReceiver;

afterEach(async () => {
  await harness.close();
  await receiver.stop();
});

/** A live call of one stream with `frames` frames in the spool, delivered to the scripted receiver. */
async function liveCall(frames = 20): Promise<RecordedCall> {
  const call = new RecordedCall(harness.spool, harness.dispatcher!, [{ role: "customer", label: "1" }]);
  for (let k = 0; k < frames; k++) call.audio(0, testPayload(0, k));
  harness.spool.flush();
  await until(
    () => harness.dispatcher!.status(call.call.callId)[0]?.ackedSeq === frames + 1,
    "the audio acked",
  );
  return call;
}

function start(clock?: ManualClock): void {
  harness = new SinkHarness();
  receiver = ScriptedReceiver.start();
  harness.startDispatcher(
    receiver.port,
    { mode: "per-participant", format: "PCMU/8000" },
    clock ? { clock, backoff: { initialMs: 20, maxMs: 200 }, random: () => 0.5 } : {},
  );
}

describe("close codes (EASP.md §7)", () => {
  it.each([
    { code: 1001, name: "going away" },
    { code: 1011, name: "internal error" },
    { code: 1012, name: "service restart" },
    { code: 1013, name: "try again later" },
    { code: 4013, name: "overloaded" },
    { code: 1000, name: "normal closure without closed" },
  ])("resumes after $code ($name) with backoff, from the receiver's nextSeq", async ({ code }) => {
    start();
    const call = await liveCall();
    receiver.closeAll(code);
    await until(() => receiver.opens.length === 2, "the resume");
    expect(receiver.opens[1]).toMatchObject({ resume: true, sessionId: receiver.opens[0]?.sessionId });
    for (let k = 20; k < 30; k++) call.audio(0, testPayload(0, k));
    call.end();
    await until(() => harness.done.length === 1, "delivery");
    expect(harness.disconnects).toEqual([expect.stringMatching(new RegExp(`^closed ${code}`))]);
    expect(harness.alarms).toEqual([]);
  });

  it.each([
    { code: 4001, alarm: "SINK_UNAUTHORIZED" },
    { code: 4003, alarm: "SINK_UNAUTHORIZED" },
    { code: 4415, alarm: "SINK_UNSUPPORTED_FORMAT" },
  ])(
    "stops the whole sink on $code and alarms $alarm, while calls keep being spooled",
    async ({ code, alarm }) => {
      start();
      const first = await liveCall();
      const second = new RecordedCall(harness.spool, harness.dispatcher!, [{ role: "agent", label: "1" }]);
      second.audio(0, testPayload(1, 0));
      harness.spool.flush();
      await until(() => receiver.connections === 2, "both calls connected");
      receiver.closeAll(code, {});
      await until(
        () => harness.dispatcher!.status().every((u) => u.state === "failed"),
        "every unit stopped",
      );
      expect(harness.alarms.map((a) => a.code)).toEqual([alarm]);
      const upgrades = receiver.upgrades;
      const third = new RecordedCall(harness.spool, harness.dispatcher!, [{ role: "customer", label: "1" }]);
      for (let k = 0; k < 5; k++) third.audio(0, testPayload(2, k));
      await nextTurn(100);
      expect(receiver.upgrades).toBe(upgrades);
      expect(harness.dispatcher!.status(third.call.callId)[0]?.state).toBe("failed");
      expect(harness.spool.lastIdx(third.streams[0]!.streamId)).toBe(5);
      const cursor = harness.spool.getCursor(first.call.callId, "ai", String(first.streams[0]?.streamId));
      expect(cursor).toMatchObject({ done: false, ackedSeq: 21 });
    },
  );

  it("marks the session delivered on 4010 (already finalized), also when only a JSON error said so", async () => {
    start();
    const call = await liveCall();
    receiver.closeAll(1000, { code: 4010 });
    await until(() => harness.done.length === 1, "delivery");
    const unit = String(call.streams[0]?.streamId);
    expect(harness.spool.getCursor(call.call.callId, "ai", unit)?.done).toBe(true);
    expect(receiver.opens).toHaveLength(1);
  });

  it("tries one resume after 4000 and quarantines the session at the second, with an alarm", async () => {
    start();
    await liveCall();
    receiver.closeAll(4000, {});
    await until(() => receiver.opens.length === 2, "one resume");
    receiver.closeAll(4000, {});
    await until(() => harness.dispatcher!.status()[0]?.state === "failed", "quarantine");
    await nextTurn(100);
    expect(receiver.opens).toHaveLength(2);
    expect(harness.alarms.map((a) => a.code)).toEqual(["SINK_QUARANTINED"]);
  });

  it("quarantines at once when the receiver's error says fatal", async () => {
    start();
    await liveCall();
    receiver.closeAll(1011, { fatal: true });
    await until(() => harness.dispatcher!.status()[0]?.state === "failed", "quarantine");
    expect(harness.alarms.map((a) => a.code)).toEqual(["SINK_FATAL"]);
  });

  it("halves its messages after 4413 (message too large)", async () => {
    start();
    const call = await liveCall(1000);
    expect(Math.max(...receiver.messageSizes)).toBeGreaterThan(60_000);
    receiver.forget();
    receiver.closeAll(4413, {});
    await until(() => receiver.opens.length === 2, "the resume");
    receiver.messageSizes.length = 0;
    for (let k = 1000; k < 1010; k++) call.audio(0, testPayload(0, k));
    harness.spool.flush();
    await until(() => receiver.records.length >= 2010, "everything again");
    expect(Math.max(...receiver.messageSizes)).toBeLessThanOrEqual(32_768);
  });

  it.each([
    { code: 4009, name: "session attached elsewhere" },
    { code: 4029, name: "rate limited" },
  ])("waits the receiver's retryAfterMs after $code ($name)", async ({ code }) => {
    const clock = new ManualClock(0, Date.now() * 1000);
    start(clock);
    await liveCall();
    receiver.closeAll(code, { retryAfterMs: 5_000 });
    await until(() => harness.disconnects.length === 1, "the disconnect");
    clock.advance(4_900);
    await nextTurn(100);
    expect(receiver.opens).toHaveLength(1);
    clock.advance(100);
    await until(() => receiver.opens.length === 2, "the resume after retryAfterMs");
  });
});
