import { Database } from "bun:sqlite";
import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type FrameInput,
  FrameKind,
  GapReason,
  type SpoolLevel,
  type SqliteSpool,
} from "../../../src/spool/index.ts";
import { audioFrame, baseUs, callWithStream, payloadOf } from "../../contract/spool-fixtures.ts";
import { chunkRows, useSpoolTestDir } from "./spool-test-dir.ts";

const maxBytes = 2_000_000;
const pageSize = 4096;

/** Appends 50 frames per 100 ms commit until the spool says full (or `maxFrames`); returns the frames. */
function fillUntilFull(spool: SqliteSpool, streamId: number, advance: (ms: number) => void): FrameInput[] {
  const frames: FrameInput[] = [];
  while (!spool.level().full && frames.length < 40_000) {
    for (let k = 0; k < 50; k++) {
      const frame = audioFrame(frames.length);
      frames.push(frame);
      expect(spool.appendFrame(streamId, frame)).toBe(frames.length);
    }
    advance(100);
  }
  return frames;
}

function isDiscarded(frame: { kind: number; gapReason: number; payload: Uint8Array }): boolean {
  return (
    frame.kind === FrameKind.Gap && frame.gapReason === GapReason.Discarded && frame.payload.length === 0
  );
}

describe("SqliteSpool bounds (max_bytes, min_free_disk)", () => {
  const t = useSpoolTestDir();

  it("reports its level: used bytes, the cap, free disk and the minimum to keep", () => {
    const spool = t.open({ maxBytes, minFreeDisk: 0 });
    const { stream } = callWithStream(spool);
    const empty = spool.level();
    for (let n = 0; n < 100; n++) spool.appendFrame(stream.streamId, audioFrame(n));
    spool.flush();
    const level = spool.level();
    expect(level).toMatchObject({ maxBytes, minFreeDisk: 0, highWater: false, full: false });
    expect(level.bytes).toBeGreaterThan(empty.bytes + 100 * 160);
    const fs = statfsSync(dirname(t.path));
    expect(level.freeDiskBytes).toBeGreaterThan(0);
    expect(Math.abs(level.freeDiskBytes - fs.bavail * fs.bsize)).toBeLessThan(1e9);
  });

  it("passes the high-water mark before it is full, then stores audio as DISCARDED gaps without a failed commit", () => {
    const spool = t.open({ maxBytes, minFreeDisk: 0 });
    const { stream } = callWithStream(spool);
    const levels: SpoolLevel[] = [];
    const frames = fillUntilFull(spool, stream.streamId, (ms) => {
      t.clock.advance(ms);
      levels.push(spool.level());
    });
    const firstHigh = levels.findIndex((l) => l.highWater);
    const firstFull = levels.findIndex((l) => l.full);
    expect(firstHigh).toBeGreaterThan(0);
    expect(firstFull).toBeGreaterThan(firstHigh);
    expect(levels[firstHigh]?.bytes).toBeGreaterThanOrEqual(0.9 * maxBytes);

    const more: FrameInput[] = [];
    for (let n = frames.length; n < frames.length + 200; n++) {
      const frame = audioFrame(n);
      more.push(frame);
      expect(spool.appendFrame(stream.streamId, frame)).toBe(n + 1);
    }
    expect(more.every(isDiscarded)).toBe(true);
    t.clock.advance(100);

    const stored = spool.readFrames(stream.streamId, 1, 100_000);
    expect(stored.map((f) => f.idx)).toEqual(stored.map((_, i) => i + 1));
    expect(stored).toHaveLength(frames.length + 200);
    for (const [i, f] of stored.entries()) {
      expect(f).toMatchObject({ pos: i * 160, durationSamples: 160, rtpSeq: 1000 + i });
      if (!isDiscarded(f)) expect(Array.from(f.payload)).toEqual(Array.from(payloadOf(i)));
    }
    const discarded = stored.filter(isDiscarded).length;
    expect(stored.slice(-200).every(isDiscarded)).toBe(true);
    expect(spool.stats()).toMatchObject({ commitErrors: 0, framesDiscarded: discarded, framesPending: 0 });
    expect(spool.level()).toMatchObject({ highWater: true, full: true });
    expect(spool.level().bytes).toBeLessThanOrEqual(maxBytes);
    const alarm = t.lines.map((l) => JSON.parse(l)).find((l) => l.code === "SPOOL_FULL");
    expect(alarm).toMatchObject({ level: "error" });
  });

  it("turns pending audio into DISCARDED gaps when a commit fails with SQLITE_FULL, and stores audio again once space is freed", () => {
    const spool = t.open({ maxBytes, minFreeDisk: 0 });
    const { stream } = callWithStream(spool);
    spool.appendFrame(stream.streamId, audioFrame(0));
    spool.flush();
    const other = new Database(t.path);
    other.run("CREATE TABLE filler (b BLOB)");
    const pages = () => other.query<{ n: number }, []>("PRAGMA page_count").get()?.n ?? 0;
    const maxPages = Math.floor(maxBytes / pageSize);
    other.query("INSERT INTO filler VALUES (zeroblob(?))").run((maxPages - pages() - 6) * 4000);
    expect(maxPages - pages()).toBeGreaterThanOrEqual(4);

    const pending: FrameInput[] = [];
    for (let n = 1; n <= 200; n++) {
      const frame = audioFrame(n);
      pending.push(frame);
      spool.appendFrame(stream.streamId, frame);
    }
    expect(pending.some(isDiscarded)).toBe(false);
    expect(() => t.clock.advance(100)).not.toThrow();

    expect(pending.every(isDiscarded)).toBe(true);
    expect(spool.stats()).toMatchObject({ framesDiscarded: 200, framesPending: 0, commitErrors: 1 });
    expect(spool.committedIdx(stream.streamId)).toBe(201);
    const stored = spool.readFrames(stream.streamId, 2, 1000);
    expect(stored.every(isDiscarded)).toBe(true);
    expect(stored.map((f) => f.pos)).toEqual(pending.map((_, i) => (i + 1) * 160));
    expect(spool.level().full).toBe(true);
    expect(spool.appendFrame(stream.streamId, audioFrame(201))).toBe(202);
    expect(spool.readFrames(stream.streamId, 202, 1)[0]?.gapReason).toBe(GapReason.Discarded);

    other.run("DROP TABLE filler");
    other.close();
    expect(spool.level()).toMatchObject({ full: false, highWater: false });
    const next = audioFrame(202);
    spool.appendFrame(stream.streamId, next);
    spool.flush();
    expect(spool.readFrames(stream.streamId, 203, 1)[0]).toMatchObject({ kind: FrameKind.Audio, idx: 203 });
    expect(Array.from(spool.readFrames(stream.streamId, 203, 1)[0]?.payload ?? [])).toEqual(
      Array.from(payloadOf(202)),
    );
  });

  it("bounds what it keeps in memory while commits fail, and commits everything once they work", () => {
    const spool = t.open({ maxBytes, minFreeDisk: 0, maxPendingFrames: 100, busyTimeoutMs: 0 });
    const { stream } = callWithStream(spool);
    const lock = new Database(t.path);
    lock.run("BEGIN IMMEDIATE");
    const frames: FrameInput[] = [];
    for (let n = 0; n < 3000; n++) {
      const frame = audioFrame(n);
      frames.push(frame);
      expect(spool.appendFrame(stream.streamId, frame)).toBe(n + 1);
      if (n % 50 === 49) t.clock.advance(100);
    }
    const gap = {
      ...audioFrame(4000, new Uint8Array(0)),
      kind: FrameKind.Gap,
      gapReason: GapReason.PacketLoss,
    };
    spool.appendFrame(stream.streamId, gap);
    expect(spool.stats()).toMatchObject({ framesPending: 3001, framesDiscarded: 2900 });
    expect(spool.stats().commitErrors).toBeGreaterThan(0);
    expect(frames.slice(0, 100).some(isDiscarded)).toBe(false);
    expect(frames.slice(100).every(isDiscarded)).toBe(true);
    const expected = [...frames, gap].map((f, i) => ({ ...f, streamId: stream.streamId, idx: i + 1 }));
    expect(spool.readFrames(stream.streamId, 1, 5000)).toEqual(expected);
    expect(spool.readFrames(stream.streamId, 2999, 5)).toEqual(expected.slice(2998));
    expect(spool.lastIdx(stream.streamId)).toBe(3001);

    lock.run("ROLLBACK");
    lock.close();
    t.clock.advance(100);
    expect(spool.committedIdx(stream.streamId)).toBe(3001);
    expect(spool.readFrames(stream.streamId, 1, 5000)).toEqual(expected);
    expect(chunkRows(t.path)).toBe(3);
  });

  it("is above the high-water mark while free disk is below min_free_disk, and full below half of it", () => {
    const fs = statfsSync(dirname(t.path));
    const free = fs.bavail * fs.bsize;
    const high = t.open({ minFreeDisk: free * 1.5 });
    expect(high.level()).toMatchObject({ highWater: true, full: false, minFreeDisk: free * 1.5 });
    high.close();
    const full = t.open({ minFreeDisk: free * 4 });
    expect(full.level()).toMatchObject({ highWater: true, full: true });
    const { stream } = callWithStream(full);
    const frame = audioFrame(0);
    expect(full.appendFrame(stream.streamId, frame)).toBe(1);
    expect(isDiscarded(frame)).toBe(true);
  });

  it("limits the database file with max_page_count", () => {
    t.open({ maxBytes }).close();
    const spool = t.open({ maxBytes });
    callWithStream(spool);
    spool.close();
    const db = new Database(t.path);
    db.run(`PRAGMA max_page_count = ${Math.floor(maxBytes / pageSize)}`);
    expect(() => db.query("CREATE TABLE big (b BLOB)").run()).not.toThrow();
    expect(() => db.query("INSERT INTO big VALUES (zeroblob(?))").run(maxBytes)).toThrow(/full/i);
    db.close();
  });

  it("refuses bounds that make no sense", () => {
    expect(() => t.open({ maxBytes: -1 })).toThrow(RangeError);
    expect(() => t.open({ highWaterRatio: 1.5 })).toThrow(RangeError);
    expect(() => t.open({ highWaterRatio: 0 })).toThrow(RangeError);
  });

  it("keeps a frame's capture time and sequence when it becomes a DISCARDED gap", () => {
    const spool = t.open({ maxBytes, minFreeDisk: Number.MAX_SAFE_INTEGER });
    const { stream } = callWithStream(spool);
    const frame = audioFrame(7);
    spool.appendFrame(stream.streamId, frame);
    spool.flush();
    expect(spool.readFrames(stream.streamId, 1, 1)[0]).toEqual({
      streamId: stream.streamId,
      idx: 1,
      kind: FrameKind.Gap,
      flags: 0,
      gapReason: GapReason.Discarded,
      rtpSeq: 1007,
      pos: 7 * 160,
      captureUs: baseUs + 7 * 20_000,
      durationSamples: 160,
      payload: new Uint8Array(0),
    });
  });
});
