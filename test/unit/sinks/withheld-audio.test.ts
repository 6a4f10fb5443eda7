import { afterEach, describe, expect, it } from "vitest";
import { EaspGapReason, isoFromMicros, RecordFlags, RecordKind } from "../../../src/easp/index.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";
import { concatBytes, nextTurn, RecordedCall, testPayload, until } from "../../helpers/recorded-call.ts";
import { deinterleave8 } from "../../helpers/wav-reader.ts";
import { type ReceivedRecord, ScriptedReceiver } from "./scripted-receiver.ts";
import { SinkHarness } from "./sink-harness.ts";

let harness: SinkHarness;
let scripted: ScriptedReceiver | undefined;

afterEach(async () => {
  await harness.close();
  await scripted?.stop();
  scripted = undefined;
});

const epochUs = Date.UTC(2025, 0, 1) * 1000;
/** Capture time of 20 ms frame `k` of a test call. */
const frameUs = (k: number): number => epochUs + k * 20_000;

function oneStreamCall(): RecordedCall {
  return new RecordedCall(harness.spool, harness.dispatcher!, [{ role: "customer", label: "1" }], epochUs);
}

function feed(call: RecordedCall, from: number, to: number): void {
  for (let k = from; k < to; k++) call.audio(0, testPayload(0, k));
  harness.spool.flush();
}

/** Advances the manual clock in steps (timers of the units fire) until `predicate` holds. */
async function drive(clock: ManualClock, predicate: () => boolean, what: string, stepMs = 20): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    clock.advance(stepMs);
    await nextTurn(5);
  }
}

/** What identifies a record's content, REPLAY flag aside. */
function item(r: ReceivedRecord): unknown {
  return {
    seq: r.seq,
    kind: r.kind,
    reasonOrMask: r.maskOrReason,
    pos: r.pos,
    captureUs: r.captureUs,
    durationSamples: r.durationSamples,
    payload: r.payload,
  };
}

/** Checks that records tile the timeline: each starts where the previous one ended (EASP invariant 2). */
function expectTiled(records: ReceivedRecord[]): void {
  for (let i = 1; i < records.length; i++) {
    const previous = records[i - 1] as ReceivedRecord;
    expect(records[i]?.pos).toBe(previous.pos + previous.durationSamples);
  }
}

describe("opened.discardBefore", () => {
  it("sends GAP DECLINED records in place of the audio captured before it, then the audio after it", async () => {
    harness = new SinkHarness();
    scripted = ScriptedReceiver.start();
    const receiver = scripted;
    receiver.behaviour.opened = () => ({ discardBefore: isoFromMicros(frameUs(30)) });
    harness.startDispatcher(receiver.port, { mode: "per-participant", format: "PCMU/8000" });
    const call = oneStreamCall();
    feed(call, 0, 50);
    await until(() => receiver.records.length === 50, "every frame");

    const records = receiver.records;
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, k) => k + 2));
    expect(records.slice(0, 30).map(item)).toEqual(
      Array.from({ length: 30 }, (_, k) => ({
        seq: k + 2,
        kind: RecordKind.Gap,
        reasonOrMask: EaspGapReason.Declined,
        pos: k * 160,
        captureUs: frameUs(k),
        durationSamples: 160,
        payload: new Uint8Array(0),
      })),
    );
    expect(records.slice(30).every((r) => r.kind === RecordKind.Audio)).toBe(true);
    expect(concatBytes(records.slice(30).map((r) => r.payload))).toEqual(
      concatBytes(Array.from({ length: 20 }, (_, k) => testPayload(0, 30 + k))),
    );
    expectTiled(records);
  });

  it("renders the same items again when a reconnect gets the same discardBefore", async () => {
    harness = new SinkHarness();
    scripted = ScriptedReceiver.start();
    const receiver = scripted;
    receiver.behaviour.opened = () => ({ discardBefore: isoFromMicros(frameUs(12) + 5_000) });
    harness.startDispatcher(receiver.port, { mode: "per-participant", format: "PCMU/8000" });
    const call = oneStreamCall();
    feed(call, 0, 25);
    await until(() => receiver.records.length === 25, "every frame");
    const first = receiver.records.map(item);
    receiver.forget();
    receiver.closeAll(1012);
    await until(() => receiver.records.length === 50, "every frame again");

    expect(receiver.opens).toHaveLength(2);
    expect(receiver.records.slice(25).map(item)).toEqual(first);
    expect(first.filter((r) => (r as { kind: number }).kind === RecordKind.Gap)).toHaveLength(13);
  });

  it("lets the reference receiver write silence for the declined slots of an interleaved session and list the gap", async () => {
    harness = new SinkHarness();
    const receiver = await harness.startReceiver(0, { discardBefore: isoFromMicros(frameUs(20)) });
    const dispatcher = harness.startDispatcher(receiver.port, { mode: "interleaved", format: "PCMU/8000" });
    const call = new RecordedCall(
      harness.spool,
      dispatcher,
      [
        { role: "customer", label: "1" },
        { role: "agent", label: "2" },
      ],
      epochUs,
    );
    for (let k = 0; k < 50; k++) for (const s of [0, 1]) call.audio(s, testPayload(s, k));
    harness.spool.flush();
    call.end();
    await until(() => harness.done.length === 1, "delivery");

    const unit = harness.doneUnit("call");
    const session = harness.sessionFile(call.call.callId, unit.sessionId);
    expect(session.streams["1"]?.gaps).toEqual([
      { pos: 0, durationSamples: 20 * 160, reason: EaspGapReason.Declined },
    ]);
    const [customer, agent] = deinterleave8(harness.wav(call.call.callId, unit.sessionId, 1).data, 2);
    const silence = new Uint8Array(20 * 160).fill(0xff);
    const expected = (s: number): Uint8Array =>
      concatBytes([silence, ...Array.from({ length: 30 }, (_, k) => testPayload(s, 20 + k))]);
    expect(customer).toEqual(expected(0));
    expect(agent).toEqual(expected(1));
  });
});

describe("receiver pause and resume", () => {
  /** A connected call of one stream whose first 20 frames were received, then paused by the receiver. */
  async function pausedAfter20(
    clock?: ManualClock,
  ): Promise<{ call: RecordedCall; receiver: ScriptedReceiver }> {
    scripted = ScriptedReceiver.start();
    const receiver = scripted;
    harness.startDispatcher(
      receiver.port,
      { mode: "per-participant", format: "PCMU/8000" },
      clock ? { clock } : {},
    );
    const call = oneStreamCall();
    feed(call, 0, 20);
    if (clock) await drive(clock, () => receiver.records.length === 20, "the first frames");
    else await until(() => receiver.records.length === 20, "the first frames");
    receiver.sendAll({ type: "pause", v: 1 });
    await nextTurn(50);
    feed(call, 20, 40);
    await nextTurn(150);
    expect(receiver.records).toHaveLength(20);
    return { call, receiver };
  }

  it("skips the paused span as GAP PAUSED_RECEIVER records on resume{from:now}, then sends live audio", async () => {
    harness = new SinkHarness();
    const { call, receiver } = await pausedAfter20();
    receiver.sendAll({ type: "resume", v: 1, from: "now" });
    await nextTurn(50);
    feed(call, 40, 50);
    await until(() => receiver.records.length === 50, "the gaps and the live audio");

    const records = receiver.records;
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, k) => k + 2));
    expect(records.slice(20, 40).map((r) => [r.kind, r.maskOrReason, r.payload.byteLength])).toEqual(
      Array.from({ length: 20 }, () => [RecordKind.Gap, EaspGapReason.PausedReceiver, 0]),
    );
    expect(concatBytes(records.slice(40).map((r) => r.payload))).toEqual(
      concatBytes(Array.from({ length: 10 }, (_, k) => testPayload(0, 40 + k))),
    );
    expectTiled(records);
  });

  it("never sends the skipped span as audio again, after a reconnect or a restart", async () => {
    harness = new SinkHarness("spool.db");
    const { call, receiver } = await pausedAfter20();
    receiver.sendAll({ type: "resume", v: 1, from: "now" });
    await until(() => receiver.records.length === 40, "the gaps");
    const firstPass = receiver.records.map(item);

    receiver.forget();
    receiver.closeAll(1012);
    await until(() => receiver.records.length === 80, "everything again after the reconnect");
    expect(receiver.records.slice(40).map(item)).toEqual(firstPass);

    receiver.behaviour.upgrade = 503;
    receiver.closeAll(1012);
    await until(() => harness.disconnects.length === 2, "the second disconnect");
    call.end();
    await harness.restart();
    const again = harness.startDispatcher(receiver.port, { mode: "per-participant", format: "PCMU/8000" });
    receiver.behaviour.upgrade = "accept";
    receiver.forget();
    again.recover();
    await until(() => receiver.records.length === 120, "everything again after the restart");
    expect(receiver.records.slice(80).map(item)).toEqual(firstPass);
    expect(receiver.records.slice(100).every((r) => r.maskOrReason === EaspGapReason.PausedReceiver)).toBe(
      true,
    );
    await until(() => harness.done.length === 1, "delivery after the restart");
  });

  it("delivers the paused span from the spool with the REPLAY flag on resume{from:paused}", async () => {
    harness = new SinkHarness();
    const clock = new ManualClock(0, frameUs(20));
    const { receiver } = await pausedAfter20(clock);
    clock.advance(5_000);
    receiver.sendAll({ type: "resume", v: 1, from: "paused" });
    await drive(clock, () => receiver.records.length === 40, "the paused span");

    const span = receiver.records.slice(20);
    expect(span.every((r) => r.kind === RecordKind.Audio && (r.flags & RecordFlags.Replay) !== 0)).toBe(true);
    expect(concatBytes(span.map((r) => r.payload))).toEqual(
      concatBytes(Array.from({ length: 20 }, (_, k) => testPayload(0, 20 + k))),
    );
  });

  it("sends nothing on a session opened with startPaused until the receiver resumes it", async () => {
    harness = new SinkHarness();
    scripted = ScriptedReceiver.start();
    const receiver = scripted;
    receiver.behaviour.opened = () => ({ startPaused: true });
    harness.startDispatcher(receiver.port, { mode: "per-participant", format: "PCMU/8000" });
    const call = oneStreamCall();
    feed(call, 0, 10);
    await until(() => receiver.opens.length === 1, "the open");
    await nextTurn(150);
    expect(receiver.records).toHaveLength(0);

    receiver.sendAll({ type: "resume", v: 1, from: "paused" });
    await until(() => receiver.records.length === 10, "the held frames");
    expect(receiver.records.every((r) => r.kind === RecordKind.Audio)).toBe(true);
  });
});
