import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EaspGapReason } from "../../../src/easp/index.ts";
import type { Spool } from "../../../src/spool/index.ts";
import { concatBytes, RecordedCall, testPayload, until } from "../../helpers/recorded-call.ts";
import { ScriptedReceiver } from "./scripted-receiver.ts";
import { SinkHarness } from "./sink-harness.ts";

let harness: SinkHarness;
let emptyDir: string;
let scripted: ScriptedReceiver | undefined;

afterEach(async () => {
  await harness.close();
  await scripted?.stop();
  scripted = undefined;
  rmSync(emptyDir, { recursive: true, force: true });
});

/**
 * The spool as it looks after a retention purge of acknowledged audio: frames up to `purged[id]`
 * of a stream are gone. (The spool itself purges whole delivered calls only, so a partial purge is
 * simulated by hiding those frames from reads.)
 */
function purgeable(spool: Spool): { spool: Spool; purged: Map<number, number> } {
  const purged = new Map<number, number>();
  const proxy = new Proxy(spool, {
    get(target, prop) {
      if (prop === "readFrames") {
        return (streamId: number, fromIdx: number, limit: number) =>
          target.readFrames(streamId, Math.max(fromIdx, (purged.get(streamId) ?? 0) + 1), limit);
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { spool: proxy, purged };
}

function payloads(from: number, to: number): Uint8Array {
  return concatBytes(Array.from({ length: to - from }, (_, i) => testPayload(0, from + i)));
}

/** Delivers 100 frames of a one-stream call, then stops the receiver (the call goes on). */
async function deliverThenStop(): Promise<{ call: RecordedCall; port: number; streamId: number }> {
  emptyDir = mkdtempSync(join(tmpdir(), "easp-empty-"));
  const receiver = await harness.startReceiver();
  const port = receiver.port;
  const dispatcher = harness.startDispatcher(port, { mode: "per-participant", format: "PCMU/8000" });
  const call = new RecordedCall(harness.spool, dispatcher, [{ role: "customer", label: "1" }]);
  for (let k = 0; k < 100; k++) call.audio(0, testPayload(0, k));
  await until(() => dispatcher.status()[0]?.ackedSeq === 101, "100 frames acknowledged");
  await harness.stopReceiver();
  await until(() => harness.disconnects.length === 1, "the disconnect");
  return { call, port, streamId: call.streams[0]!.streamId };
}

describe("ack regression (the receiver lost its state, EASP.md §5)", () => {
  it("sends everything again from nextSeq 1 when the spool still holds it, losing nothing", async () => {
    harness = new SinkHarness();
    const { call, port, streamId } = await deliverThenStop();
    await harness.startReceiver(port, { outDir: emptyDir });
    for (let k = 100; k < 150; k++) call.audio(0, testPayload(0, k));
    call.end();
    await until(() => harness.done.length === 1, "delivery");

    const unit = harness.doneUnit(String(streamId));
    expect(unit.segment).toBe(0);
    expect(harness.wav(call.call.callId, unit.sessionId, streamId, emptyDir).data).toEqual(payloads(0, 150));
    expect(harness.sessionFile(call.call.callId, unit.sessionId, emptyDir).committed).toBe(152);
    expect(harness.alarms).toEqual([]);
  });

  it("alarms and opens a continuation segment with an explicit DISCARDED gap when the spool no longer has the start", async () => {
    harness = new SinkHarness();
    const view = purgeable(harness.spool);
    harness.spool = view.spool;
    const { call, port, streamId } = await deliverThenStop();
    view.purged.set(streamId, 50);
    await harness.startReceiver(port, { outDir: emptyDir });
    await until(() => harness.alarms.length === 1, "the alarm");
    for (let k = 100; k < 150; k++) call.audio(0, testPayload(0, k));
    call.end();
    await until(() => harness.done.length === 1, "delivery of the continuation");

    expect(harness.alarms[0]).toMatchObject({ code: "SINK_ACK_REGRESSION" });
    const first = harness.alarms[0]!.unit;
    const next = harness.doneUnit(`${streamId}#1`);
    expect(next).toMatchObject({ segment: 1, state: "done" });
    const session = harness.sessionFile(call.call.callId, next.sessionId, emptyDir);
    expect(session).toMatchObject({ segment: 1, continuationOf: first.sessionId });
    expect(session.streams[String(streamId)]?.gaps).toEqual([
      { pos: 0, durationSamples: 50 * 160, reason: EaspGapReason.Discarded },
    ]);
    expect(harness.wav(call.call.callId, next.sessionId, streamId, emptyDir).data).toEqual(
      concatBytes([new Uint8Array(50 * 160).fill(0xff), payloads(50, 150)]),
    );
    expect(harness.spool.getCursor(call.call.callId, "ai", String(streamId))?.done).toBe(true);
    expect(harness.dispatcher!.isDelivered(call.call.callId)).toBe(true);
  });

  it("answers an opened.nextSeq beyond every item with error 4000, closes, alarms, and quarantines on repeat", async () => {
    harness = new SinkHarness();
    emptyDir = mkdtempSync(join(tmpdir(), "easp-empty-"));
    scripted = ScriptedReceiver.start();
    const receiver = scripted;
    receiver.behaviour.opened = () => ({ nextSeq: 10_000 });
    harness.startDispatcher(receiver.port, { mode: "per-participant", format: "PCMU/8000" });
    const call = new RecordedCall(harness.spool, harness.dispatcher!, [{ role: "customer", label: "1" }]);
    for (let k = 0; k < 10; k++) call.audio(0, testPayload(0, k));
    await until(() => harness.dispatcher!.status()[0]?.state === "failed", "quarantine");

    expect(receiver.opens).toHaveLength(2);
    expect(receiver.textsOf("error")[0]).toMatchObject({ code: 4000 });
    expect(receiver.records).toEqual([]);
    expect(harness.alarms.map((a) => a.code)).toEqual([
      "SINK_RECEIVER_AHEAD",
      "SINK_RECEIVER_AHEAD",
      "SINK_QUARANTINED",
    ]);
  });
});
