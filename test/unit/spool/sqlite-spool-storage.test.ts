import { Database } from "bun:sqlite";
import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type FrameInput, FrameKind, GapReason } from "../../../src/spool/index.ts";
import { migration0001 } from "../../../src/spool/migrations/0001-init.ts";
import {
  appendFrames,
  audioFrame,
  baseUs,
  callFixture,
  callWithStream,
  payloadOf,
  streamFixture,
} from "../../contract/spool-fixtures.ts";
import { chunkRows, useSpoolTestDir } from "./spool-test-dir.ts";

describe("SqliteSpool storage", () => {
  const t = useSpoolTestDir();

  it("stores one row per stream per commit and reads every field back, whatever the frame mix", () => {
    const spool = t.open();
    const { stream } = callWithStream(spool);
    const frames: FrameInput[] = [
      audioFrame(0),
      audioFrame(1),
      { ...audioFrame(2), flags: 0x08, captureUs: audioFrame(2).captureUs + 7 },
      { ...audioFrame(3, new Uint8Array(0)), kind: FrameKind.Gap, gapReason: GapReason.PacketLoss },
      { ...audioFrame(9), flags: 0x02, rtpSeq: 2 ** 40, pos: 2 ** 45, captureUs: baseUs + 3_000_000_000 },
      { ...audioFrame(10), rtpSeq: 2 ** 40 + 1, pos: 2 ** 45 + 160, captureUs: baseUs - 5_000_000_000 },
      { ...audioFrame(11), payload: new Uint8Array(4000).fill(0x7f), durationSamples: 4000 },
    ];
    for (const f of frames) spool.appendFrame(stream.streamId, f);
    spool.flush();
    expect(chunkRows(t.path)).toBe(1);
    const stored = spool.readFrames(stream.streamId, 1, 100);
    expect(stored).toEqual(frames.map((f, i) => ({ ...f, streamId: stream.streamId, idx: i + 1 })));
    expect(spool.readFrames(stream.streamId, 4, 2).map((f) => f.idx)).toEqual([4, 5]);
  });

  it("grows one run row per stream while full instead of adding a row per commit", () => {
    const spool = t.open({ minFreeDisk: Number.MAX_SAFE_INTEGER });
    const { call, stream } = callWithStream(spool);
    const other = spool.createStream(streamFixture(call.callId, 1));
    const appended: FrameInput[] = [];
    for (let commit = 0; commit < 20; commit++) {
      for (let n = commit * 5; n < commit * 5 + 5; n++) {
        const frame = audioFrame(n);
        appended.push(frame);
        spool.appendFrame(stream.streamId, frame);
        spool.appendFrame(other.streamId, audioFrame(n));
      }
      t.clock.advance(100);
    }
    expect(chunkRows(t.path)).toBe(2);
    const stored = spool.readFrames(stream.streamId, 1, 1000);
    expect(stored).toEqual(appended.map((f, i) => ({ ...f, streamId: stream.streamId, idx: i + 1 })));
    expect(stored.every((f) => f.gapReason === GapReason.Discarded)).toBe(true);
    expect(spool.readFrames(stream.streamId, 57, 3).map((f) => [f.idx, f.pos, f.rtpSeq])).toEqual([
      [57, 56 * 160, 1056],
      [58, 57 * 160, 1057],
      [59, 58 * 160, 1058],
    ]);
    expect(spool.frameTotals(call.callId)[0]).toMatchObject({ frames: 100, audioFrames: 0, gapFrames: 100 });

    const jump = {
      ...audioFrame(500),
      kind: FrameKind.Gap,
      gapReason: GapReason.Discarded,
      payload: new Uint8Array(0),
    };
    spool.appendFrame(stream.streamId, jump);
    t.clock.advance(100);
    expect(spool.readFrames(stream.streamId, 101, 1)[0]).toMatchObject({
      idx: 101,
      pos: 500 * 160,
      rtpSeq: 1500,
    });
    spool.close();
    const reopened = t.open({ minFreeDisk: Number.MAX_SAFE_INTEGER });
    expect(reopened.readFrames(stream.streamId, 99, 10).map((f) => f.pos)).toEqual([
      98 * 160,
      99 * 160,
      500 * 160,
    ]);
  });

  it("serves, counts and purges the per-frame rows of a spool written by the first release", () => {
    const legacy = new Database(t.path, { create: true });
    legacy.run("PRAGMA journal_mode = WAL");
    legacy.run(migration0001.sql);
    legacy.run("PRAGMA user_version = 1");
    const call = callFixture(1, { state: "completed", reason: "bye", endedUs: baseUs });
    legacy.run(
      `INSERT INTO calls VALUES ('${call.callId}', 'sip', '', '{}', 'src', ${baseUs}, 0, ${baseUs},
         'completed', 'bye', '', '[]')`,
    );
    legacy.run(
      `INSERT INTO streams (call_id, label, siprec_stream_id, participant_id, role, mline_index, codec,
         rate, payload_type, started_us, ended_us, last_idx) VALUES ('${call.callId}', '1', '', '', 'agent',
         0, 'PCMU', 8000, 0, ${baseUs}, ${baseUs}, 30)`,
    );
    const insert = legacy.prepare(
      `INSERT INTO frames (stream_id, idx, kind, flags, gap_reason, rtp_seq, pos, capture_us,
         duration_samples, payload) VALUES (1, ?, 1, 0, 0, ?, ?, ?, 160, ?)`,
    );
    for (let n = 0; n < 30; n++) insert.run(n + 1, 1000 + n, n * 160, baseUs + n * 20_000, payloadOf(n));
    insert.finalize();
    legacy.close();

    const spool = t.open();
    const [stream] = spool.listStreams(call.callId);
    const streamId = stream?.streamId ?? 0;
    expect(spool.readFrames(streamId, 29, 10).map((f) => [f.idx, f.rtpSeq])).toEqual([
      [29, 1028],
      [30, 1029],
    ]);
    expect(Array.from(spool.readFrames(streamId, 3, 1)[0]?.payload ?? [])).toEqual(Array.from(payloadOf(2)));
    expect(spool.countFrames(streamId)).toBe(30);
    expect(spool.frameTotals(call.callId)).toEqual([
      { streamId, frames: 30, audioFrames: 30, gapFrames: 0, bytes: 30 * 160 },
    ]);
    const next = callWithStream(spool, 2).stream;
    expect(next.streamId).toBeGreaterThan(streamId);
    appendFrames(spool, next.streamId, 0, 3);
    spool.flush();
    expect(spool.readFrames(next.streamId, 1, 10)).toHaveLength(3);

    expect(spool.purge({ retainMs: 0, nowUs: baseUs + 1, isDelivered: () => true })).toMatchObject({
      callsPurged: 1,
      framesDeleted: 30,
    });
    expect(spool.getCall(call.callId)).toBeUndefined();
  });

  it("checkpoints the WAL on a worker so it stays small while much more is written", async () => {
    const spool = t.open();
    const { call } = callWithStream(spool);
    const streams = [0, 1, 2, 3].map((m) => spool.createStream(streamFixture(call.callId, m + 1)).streamId);
    const payload = new Uint8Array(8000).fill(0x55);
    for (let round = 0; round < 60; round++) {
      for (const id of streams) {
        for (let k = 0; k < 25; k++) spool.appendFrame(id, { ...audioFrame(round * 25 + k), payload });
      }
      t.clock.advance(500);
      await Bun.sleep(5);
    }
    const written = 60 * 4 * 25 * 8000;
    expect(statSync(`${t.path}-wal`).size).toBeLessThan(written / 3);
    expect(spool.readFrames(streams[3] ?? 0, 1499, 10)).toHaveLength(2);
  });
});
