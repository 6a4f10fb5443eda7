import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EaspGapReason, RecordFlags, RecordKind } from "../../../src/easp/index.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";
import { concatBytes, nextTurn, RecordedCall, testPayload, until } from "../../helpers/recorded-call.ts";
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

const epochUs = Date.UTC(2025, 0, 1) * 1000;

/** Advances the manual clock in steps (timers of the units fire) until `predicate` holds. */
async function drive(clock: ManualClock, predicate: () => boolean, what: string, stepMs = 50): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    clock.advance(stepMs);
    await nextTurn(5);
  }
}

function feed(call: RecordedCall, from: number, to: number): void {
  for (let k = from; k < to; k++) call.audio(0, testPayload(0, k));
  harness.spool.flush();
}

function payloads(from: number, to: number): Uint8Array {
  return concatBytes(Array.from({ length: to - from }, (_, i) => testPayload(0, from + i)));
}

describe("replay after an outage", () => {
  it("flags the backlog REPLAY with the original capture times, and live audio after it not", async () => {
    harness = new SinkHarness();
    scripted = ScriptedReceiver.start();
    const receiver = scripted;
    const clock = new ManualClock(0, epochUs);
    harness.startDispatcher(receiver.port, { mode: "per-participant", format: "PCMU/8000" }, { clock });
    const call = new RecordedCall(
      harness.spool,
      harness.dispatcher!,
      [{ role: "customer", label: "1" }],
      epochUs,
    );
    feed(call, 0, 50);
    await until(() => receiver.records.length === 50, "live audio");
    receiver.closeAll(1012);
    await until(() => harness.disconnects.length === 1, "the disconnect");
    feed(call, 50, 150);
    clock.advance(10_000);
    call.gap(0, 10 * 8000 - 150 * 160, EaspGapReason.NoMedia);
    feed(call, 500, 510);
    await drive(clock, () => receiver.records.length === 161, "backlog and live audio", 10);

    const bySeq = receiver.records;
    const replayed = (seq: number): boolean => ((bySeq[seq - 2]?.flags ?? 0) & RecordFlags.Replay) !== 0;
    expect(bySeq.map((r) => r.seq)).toEqual(Array.from({ length: 161 }, (_, i) => i + 2));
    expect(Array.from({ length: 50 }, (_, k) => replayed(k + 2))).not.toContain(true);
    expect(Array.from({ length: 100 }, (_, k) => replayed(k + 52))).not.toContain(false);
    expect(bySeq.slice(50, 150).map((r) => r.captureUs)).toEqual(
      Array.from({ length: 100 }, (_, k) => epochUs + (50 + k) * 20_000),
    );
    expect(bySeq[150]).toMatchObject({ kind: RecordKind.Gap, maskOrReason: EaspGapReason.NoMedia });
    expect(replayed(152)).toBe(true);
    expect(Array.from({ length: 10 }, (_, k) => replayed(k + 153))).not.toContain(true);
    expect(concatBytes(bySeq.slice(50, 150).map((r) => r.payload))).toEqual(payloads(50, 150));
    await until(() => harness.caughtUp.length > 0, "the catch-up");
    expect(harness.caughtUp.map((u) => u.unit)).toEqual([String(call.streams[0]?.streamId)]);
    expect(harness.dispatcher!.status()[0]).toMatchObject({ state: "open", reconnects: 1 });
  });

  it("counts the REPLAY records per stream in the reference receiver's session file", async () => {
    harness = new SinkHarness();
    const probe = await harness.startReceiver();
    const port = probe.port;
    await harness.stopReceiver();
    const clock = new ManualClock(0, epochUs + 30_000_000);
    const dispatcher = harness.startDispatcher(
      port,
      { mode: "per-participant", format: "PCMU/8000" },
      { clock },
    );
    const call = new RecordedCall(harness.spool, dispatcher, [{ role: "customer", label: "1" }], epochUs);
    feed(call, 0, 100);
    call.end();
    await drive(clock, () => (dispatcher.status()[0]?.reconnects ?? 0) >= 1, "a failed attempt");
    expect(dispatcher.status()[0]?.backlogMs).toBe(2000);
    await harness.startReceiver(port);
    await drive(clock, () => harness.done.length === 1, "delivery");

    const unit = harness.doneUnit(String(call.streams[0]?.streamId));
    const session = harness.sessionFile(call.call.callId, unit.sessionId);
    expect(session.streams[String(call.streams[0]?.streamId)]).toMatchObject({
      records: 100,
      replayRecords: 100,
    });
    expect(harness.caughtUp).toHaveLength(1);
    expect(unit.backlogMs).toBe(0);
  });
});

describe("live-first replay", () => {
  it("cuts the session when the receiver is back: the backlog ends with segment-cut, live goes to segment 1", async () => {
    harness = new SinkHarness();
    const first = await harness.startReceiver();
    const port = first.port;
    const clock = new ManualClock(0, epochUs);
    const dispatcher = harness.startDispatcher(
      port,
      { mode: "per-participant", format: "PCMU/8000", replay: { maxRate: 0, strategy: "live-first" } },
      { clock },
    );
    const call = new RecordedCall(harness.spool, dispatcher, [{ role: "customer", label: "1" }], epochUs);
    const streamId = call.streams[0]!.streamId;
    feed(call, 0, 50);
    await drive(clock, () => (first.stats().records ?? 0) === 50, "live audio", 5);
    await harness.stopReceiver();
    await drive(clock, () => harness.disconnects.length === 1, "the disconnect", 5);
    feed(call, 50, 200);
    clock.advance(5_000);
    await harness.startReceiver(port);
    await drive(clock, () => dispatcher.status().length === 2, "the second segment", 20);
    feed(call, 200, 250);
    call.end();
    await drive(clock, () => harness.done.length === 2, "both segments delivered", 20);

    const backlog = harness.doneUnit(String(streamId));
    const live = harness.doneUnit(`${streamId}#1`);
    expect(live).toMatchObject({ segment: 1 });
    const a = harness.sessionFile(call.call.callId, backlog.sessionId);
    const b = harness.sessionFile(call.call.callId, live.sessionId);
    expect(a).toMatchObject({ segment: 0, continuationOf: null });
    expect(b).toMatchObject({ segment: 1, continuationOf: backlog.sessionId });
    expect(b.open).toMatchObject({ segment: 1, continuationOf: backlog.sessionId });
    expect(a.items.at(-1)).toMatchObject({ type: "stream.end", reason: "segment-cut", endPos: 200 * 160 });
    expect(b.items[0]).toMatchObject({ type: "stream.start", firstPos: 200 * 160 });
    expect(b.items.at(-1)).toMatchObject({ type: "stream.end", reason: "bye" });
    expect(harness.wav(call.call.callId, backlog.sessionId, streamId).data).toEqual(payloads(0, 200));
    expect(harness.wav(call.call.callId, live.sessionId, streamId).data).toEqual(payloads(200, 250));
    expect(a.streams[String(streamId)]?.replayRecords).toBeGreaterThan(0);
    expect(
      readdirSync(join(harness.outDir, call.call.callId)).filter((f) => f.endsWith(".json")),
    ).toHaveLength(2);
    expect(harness.spool.getCursor(call.call.callId, "ai", `${streamId}#1`)).toMatchObject({ done: true });
    expect(dispatcher.isDelivered(call.call.callId)).toBe(true);
  });

  it("cuts an interleaved session at its released slots and continues the grid on segment 1", async () => {
    harness = new SinkHarness();
    const first = await harness.startReceiver();
    const port = first.port;
    const clock = new ManualClock(0, epochUs);
    const dispatcher = harness.startDispatcher(
      port,
      { mode: "interleaved", format: "PCMU/8000", replay: { maxRate: 0, strategy: "live-first" } },
      { clock },
    );
    const call = new RecordedCall(
      harness.spool,
      dispatcher,
      [
        { role: "customer", label: "1" },
        { role: "agent", label: "2" },
      ],
      epochUs,
    );
    const feedBoth = (from: number, to: number): void => {
      for (let k = from; k < to; k++) for (const s of [0, 1]) call.audio(s, testPayload(s, k));
      harness.spool.flush();
    };
    feedBoth(0, 50);
    await drive(clock, () => first.stats().records === 50, "live audio", 5);
    await harness.stopReceiver();
    await drive(clock, () => harness.disconnects.length === 1, "the disconnect", 5);
    feedBoth(50, 200);
    clock.advance(5_000);
    await harness.startReceiver(port);
    await drive(clock, () => dispatcher.status().length === 2, "the second segment", 20);
    feedBoth(200, 250);
    call.end();
    await drive(clock, () => harness.done.length === 2, "both segments delivered", 20);

    const a = harness.doneUnit("call");
    const b = harness.doneUnit("call#1");
    const sessionA = harness.sessionFile(call.call.callId, a.sessionId);
    const sessionB = harness.sessionFile(call.call.callId, b.sessionId);
    const cutPos = (sessionA.items.at(-1) as { endPos: number }).endPos;
    expect(sessionA.items.at(-1)).toMatchObject({ type: "stream.end", reason: "segment-cut" });
    expect(sessionB).toMatchObject({ segment: 1, continuationOf: a.sessionId });
    expect(sessionB.items[0]).toMatchObject({ type: "stream.start", firstPos: cutPos, channels: 2 });
    const [customerA, agentA] = deinterleave8(harness.wav(call.call.callId, a.sessionId, 1).data, 2);
    const [customerB, agentB] = deinterleave8(harness.wav(call.call.callId, b.sessionId, 1).data, 2);
    expect(customerA?.length).toBe(cutPos);
    expect(concatBytes([customerA!, customerB!])).toEqual(
      concatBytes(Array.from({ length: 250 }, (_, k) => testPayload(0, k))),
    );
    expect(concatBytes([agentA!, agentB!])).toEqual(
      concatBytes(Array.from({ length: 250 }, (_, k) => testPayload(1, k))),
    );
  });

  it("keeps both segments durable: after a restart recover() resumes each from its own cursor", async () => {
    harness = new SinkHarness("spool.db");
    const first = await harness.startReceiver();
    const port = first.port;
    const clock = new ManualClock(0, epochUs);
    const sink = {
      mode: "per-participant",
      format: "PCMU/8000",
      replay: { maxRate: 0, strategy: "live-first" },
    } as const;
    const dispatcher = harness.startDispatcher(port, sink, { clock });
    const call = new RecordedCall(harness.spool, dispatcher, [{ role: "customer", label: "1" }], epochUs);
    const streamId = call.streams[0]!.streamId;
    feed(call, 0, 50);
    await drive(clock, () => first.stats().records === 50, "live audio", 5);
    await harness.stopReceiver();
    await drive(clock, () => harness.disconnects.length === 1, "the disconnect", 5);
    feed(call, 50, 200);
    clock.advance(5_000);
    const paced = await harness.startReceiver(port, { replayMaxRate: 1 });
    await drive(clock, () => dispatcher.status().length === 2, "the second segment", 20);
    feed(call, 200, 250);
    await until(() => paced.stats().records >= 100, "the burst and the live segment");
    await harness.stopReceiver();
    call.end();
    await harness.restart();

    const again = harness.startDispatcher(port, sink);
    again.recover();
    expect(again.status().map((u) => [u.unit, u.segment])).toEqual([
      [String(streamId), 0],
      [`${streamId}#1`, 1],
    ]);
    await harness.startReceiver(port);
    await until(() => harness.done.length === 2, "both segments delivered");
    const backlog = harness.doneUnit(String(streamId));
    const live = harness.doneUnit(`${streamId}#1`);
    expect(harness.wav(call.call.callId, backlog.sessionId, streamId).data).toEqual(payloads(0, 200));
    expect(harness.wav(call.call.callId, live.sessionId, streamId).data).toEqual(payloads(200, 250));
    expect(harness.sessionFile(call.call.callId, backlog.sessionId).items.at(-1)).toMatchObject({
      reason: "segment-cut",
    });
    expect(again.isDelivered(call.call.callId)).toBe(true);
  });
});
