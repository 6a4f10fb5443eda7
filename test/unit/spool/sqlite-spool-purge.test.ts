import { Database } from "bun:sqlite";
import { describe, expect, it } from "vitest";
import { FrameKind, type SqliteSpool } from "../../../src/spool/index.ts";
import {
  appendFrames,
  audioFrame,
  baseUs,
  callFixture,
  callWithStream,
  streamFixture,
  thrownCode,
} from "../../contract/spool-fixtures.ts";
import { useSpoolTestDir } from "./spool-test-dir.ts";

const minuteUs = 60_000_000;
const retainMs = 60_000;
const nowUs = baseUs + 100 * minuteUs;

/**
 * A call with `streams` streams of `frames` committed frames each (5 per commit, like 20 ms frames
 * every 100 ms), ended at `endedUs` (0 = still live).
 */
function recordedCall(spool: SqliteSpool, n: number, endedUs: number, frames = 20, streams = 1) {
  const call = callFixture(n);
  spool.createCall(call);
  const streamIds: number[] = [];
  for (let m = 0; m < streams; m++)
    streamIds.push(spool.createStream(streamFixture(call.callId, m)).streamId);
  for (let f = 0; f < frames; f += 5) {
    for (const id of streamIds) appendFrames(spool, id, f, Math.min(frames, f + 5));
    spool.flush();
  }
  if (endedUs > 0) {
    for (const id of streamIds) spool.endStream(id, endedUs);
    spool.endCall(call.callId, "completed", "bye", endedUs);
  }
  spool.saveCursor({
    callId: call.callId,
    sink: "ai",
    unit: "call",
    sessionId: `s${n}`,
    ackedSeq: 9,
    done: true,
  });
  return { callId: call.callId, streamIds };
}

describe("SqliteSpool purge (spool.retain)", () => {
  const t = useSpoolTestDir();

  it("removes only calls that are not live, ended before the retention and are delivered", () => {
    const spool = t.open();
    const live = recordedCall(spool, 1, 0);
    const undelivered = recordedCall(spool, 2, nowUs - 10 * minuteUs);
    const young = recordedCall(spool, 3, nowUs - retainMs * 1000 + minuteUs);
    const old = recordedCall(spool, 4, nowUs - 20 * minuteUs);
    const recovered = recordedCall(spool, 5, 0);
    spool.endCall(recovered.callId, "recovered", "recovered", nowUs - 30 * minuteUs);
    const asked: string[] = [];

    const result = spool.purge({
      retainMs,
      nowUs,
      isDelivered: (callId) => {
        asked.push(callId);
        return callId !== undelivered.callId;
      },
    });

    expect(result).toMatchObject({ callsPurged: 2, framesDeleted: 40, more: false });
    expect(result.bytesFreed).toBeGreaterThan(0);
    expect(asked.sort()).toEqual([undelivered.callId, old.callId, recovered.callId].sort());
    for (const gone of [old, recovered]) {
      expect(spool.getCall(gone.callId)).toBeUndefined();
      expect(spool.listStreams(gone.callId)).toEqual([]);
      expect(spool.listCursors({ callId: gone.callId })).toEqual([]);
      expect(spool.countFrames(gone.streamIds[0] ?? 0)).toBe(0);
    }
    for (const kept of [live, undelivered, young]) {
      expect(spool.getCall(kept.callId)).toBeDefined();
      expect(spool.readFrames(kept.streamIds[0] ?? 0, 1, 100)).toHaveLength(20);
      expect(spool.listCursors({ callId: kept.callId })).toHaveLength(1);
    }
    expect(spool.appendFrame(live.streamIds[0] ?? 0, audioFrame(20))).toBe(21);
  });

  it("frees space so the spool drops below its high-water mark and stores audio again", () => {
    const spool = t.open({ maxBytes: 2_000_000, minFreeDisk: 0 });
    const first = callWithStream(spool, 1);
    let n = 0;
    while (!spool.level().full) {
      appendFrames(spool, first.stream.streamId, n, n + 100);
      n += 100;
      t.clock.advance(100);
    }
    spool.endStream(first.stream.streamId, nowUs - 2 * retainMs * 1000);
    spool.endCall(first.call.callId, "completed", "bye", nowUs - 2 * retainMs * 1000);
    const second = callWithStream(spool, 2);
    const before = audioFrame(0);
    spool.appendFrame(second.stream.streamId, before);
    expect(before.kind).toBe(FrameKind.Gap);

    const result = spool.purge({ retainMs, nowUs, isDelivered: () => true, budgetMs: 1000 });

    expect(result).toMatchObject({ callsPurged: 1, framesDeleted: n, more: false });
    expect(result.bytesFreed).toBeGreaterThan(1_000_000);
    expect(spool.level()).toMatchObject({ highWater: false, full: false });
    const after = audioFrame(1);
    expect(spool.appendFrame(second.stream.streamId, after)).toBe(2);
    spool.flush();
    expect(spool.readFrames(second.stream.streamId, 1, 2).map((f) => f.kind)).toEqual([
      FrameKind.Gap,
      FrameKind.Audio,
    ]);
  });

  it("works in batches within its limit and resumes where it stopped, also after a reopen", () => {
    let spool = t.open();
    const big = recordedCall(spool, 1, nowUs - 10 * minuteUs, 3000, 2);
    const other = recordedCall(spool, 2, 0, 10);
    const first = spool.purge({ retainMs, nowUs, isDelivered: () => true, limit: 2500 });
    expect(first).toMatchObject({ callsPurged: 0, more: true });
    expect(first.framesDeleted).toBeLessThanOrEqual(2500);
    expect(first.framesDeleted).toBeGreaterThan(0);
    expect(spool.getCall(big.callId)?.state).toBe("completed");

    spool.close();
    spool = t.open();
    for (const id of big.streamIds) {
      expect(spool.lastIdx(id)).toBe(3000);
      expect(thrownCode(() => spool.appendFrame(id, audioFrame(0)))).toBe("SPOOL_STREAM_ENDED");
    }
    expect(spool.appendFrame(other.streamIds[0] ?? 0, audioFrame(10))).toBe(11);

    let deleted = first.framesDeleted;
    let runs = 0;
    for (let more = true; more; runs++) {
      const next = spool.purge({ retainMs, nowUs, isDelivered: () => true, limit: 2500 });
      deleted += next.framesDeleted;
      more = next.more;
    }
    expect(deleted).toBe(6000);
    expect(runs).toBeGreaterThan(1);
    expect(spool.getCall(big.callId)).toBeUndefined();
    expect(spool.getCall(other.callId)?.state).toBe("live");
  });

  it("stops after one batch when its time budget is spent, and says there is more", () => {
    const spool = t.open();
    recordedCall(spool, 1, nowUs - 10 * minuteUs, 5000);
    const result = spool.purge({ retainMs, nowUs, isDelivered: () => true, budgetMs: 0 });
    expect(result.more).toBe(true);
    expect(result.framesDeleted).toBeGreaterThan(0);
    expect(result.framesDeleted).toBeLessThan(5000);
  });

  it("ends a stream left open by an ended call before deleting it, so its idx can never restart", () => {
    const spool = t.open();
    const call = callFixture(1);
    spool.createCall(call);
    const stream = spool.createStream(streamFixture(call.callId, 0));
    appendFrames(spool, stream.streamId, 0, 5);
    spool.endCall(call.callId, "completed", "bye", nowUs - 10 * minuteUs);
    appendFrames(spool, stream.streamId, 5, 8);

    expect(spool.purge({ retainMs, nowUs, isDelivered: () => true })).toMatchObject({
      callsPurged: 1,
      framesDeleted: 8,
    });
    expect(thrownCode(() => spool.appendFrame(stream.streamId, audioFrame(8)))).toMatch(/^SPOOL_/);
    expect(
      spool.createStream(streamFixture(callWithStream(spool, 2).call.callId, 1)).streamId,
    ).toBeGreaterThan(stream.streamId);
  });

  it("leaves a call for later when the frames of its open stream cannot be committed yet", () => {
    const spool = t.open({ busyTimeoutMs: 0 });
    const call = callFixture(1);
    spool.createCall(call);
    const stream = spool.createStream(streamFixture(call.callId, 0));
    spool.endCall(call.callId, "completed", "bye", nowUs - 10 * minuteUs);
    appendFrames(spool, stream.streamId, 0, 4);
    const lock = new Database(t.path);
    lock.run("BEGIN IMMEDIATE");
    expect(spool.purge({ retainMs, nowUs, isDelivered: () => true })).toMatchObject({
      callsPurged: 0,
      framesDeleted: 0,
    });
    expect(spool.readFrames(stream.streamId, 1, 10)).toHaveLength(4);
    lock.run("ROLLBACK");
    lock.close();
    expect(spool.purge({ retainMs, nowUs, isDelivered: () => true })).toMatchObject({
      callsPurged: 1,
      framesDeleted: 4,
    });
  });

  it("never purges a call that is not delivered, however old", () => {
    const spool = t.open();
    const old = recordedCall(spool, 1, baseUs);
    expect(spool.purge({ retainMs: 0, nowUs, isDelivered: () => false })).toMatchObject({
      callsPurged: 0,
      framesDeleted: 0,
      more: false,
    });
    expect(spool.readFrames(old.streamIds[0] ?? 0, 1, 100)).toHaveLength(20);
  });
});
