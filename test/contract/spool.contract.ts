import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Spool } from "../../src/spool/index.ts";
import { FrameKind } from "../../src/spool/index.ts";
import { ManualClock } from "../helpers/manual-clock.ts";
import {
  appendFrames,
  audioFrame,
  baseUs,
  callFixture,
  callWithStream,
  gapFrame,
  payloadOf,
  streamFixture,
  thrownCode,
} from "./spool-fixtures.ts";

/** What a contract test hands the implementation's factory. */
export interface SpoolFactoryOptions {
  /** Database file in a fresh temp folder; opening the same path again must show what was committed. */
  path: string;
  /** Drives the group-commit timer. */
  clock: ManualClock;
  /** Group-commit interval the tests count on, ms. */
  commitIntervalMs: number;
}

/** Options of {@link runSpoolContract}. */
export interface SpoolContractOptions {
  /** Implementation name, for the describe block. */
  name: string;
  /** Opens a spool. */
  create: (options: SpoolFactoryOptions) => Spool;
  /** Groups to skip, each with the reason (e.g. `{ durability: "memory only" }`). */
  skip?: { durability?: string };
}

const commitIntervalMs = 100;

/**
 * The behaviour every {@link Spool} must have (DESIGN.md §4): calls and streams, frame append with
 * group commit and merged reads, cursors, the events outbox, and durability across reopen and crash.
 */
export function runSpoolContract({ name, create, skip = {} }: SpoolContractOptions): void {
  describe(`${name} (spool contract)`, () => {
    let dir: string;
    let path: string;
    let clock: ManualClock;
    let opened: Spool[];
    let spool: Spool;

    const open = (withClock: ManualClock = clock): Spool => {
      const s = create({ path, clock: withClock, commitIntervalMs });
      opened.push(s);
      return s;
    };
    const reopen = (): Spool => {
      spool.close();
      spool = open();
      return spool;
    };

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "spool-contract-"));
      path = join(dir, "state", "spool.db");
      clock = new ManualClock();
      opened = [];
      spool = open();
    });

    afterEach(() => {
      for (const s of opened) s.close();
      rmSync(dir, { recursive: true, force: true });
    });

    describe("calls", () => {
      it("stores a call and returns every field as given", () => {
        const call = callFixture(1);
        spool.createCall(call);
        expect(spool.getCall(call.callId)).toEqual(call);
        expect(spool.getCall("no-such-call")).toBeUndefined();
      });

      it("updates only the fields in the patch", () => {
        const call = callFixture(1);
        spool.createCall(call);
        const participants = [{ participantId: "p9", aor: "sip:9@x", name: "Nine", role: "agent" as const }];
        spool.updateCall(call.callId, { epochUs: baseUs + 5, participants, correlation: { ucid: "42" } });
        expect(spool.getCall(call.callId)).toEqual({
          ...call,
          epochUs: baseUs + 5,
          participants,
          correlation: { ucid: "42" },
        });
      });

      it("ends a call with its state, reason and end time", () => {
        const call = callFixture(1);
        spool.createCall(call);
        spool.endCall(call.callId, "completed", "bye", baseUs + 9);
        expect(spool.getCall(call.callId)).toMatchObject({
          state: "completed",
          reason: "bye",
          endedUs: baseUs + 9,
        });
      });

      it("lists the most recent calls first, filtered by state and limited", () => {
        for (const n of [2, 1, 3]) spool.createCall(callFixture(n));
        spool.endCall(callFixture(2).callId, "completed", "bye", baseUs);
        const ids = (calls: { callId: string }[]) => calls.map((c) => c.callId);
        expect(ids(spool.listCalls())).toEqual([3, 2, 1].map((n) => callFixture(n).callId));
        expect(ids(spool.listCalls({ state: "live" }))).toEqual([3, 1].map((n) => callFixture(n).callId));
        expect(ids(spool.listCalls({ limit: 1 }))).toEqual([callFixture(3).callId]);
      });

      it("refuses to update, end or add a stream to a call it does not know", () => {
        expect(thrownCode(() => spool.updateCall("nope", { reason: "x" }))).toBe("SPOOL_UNKNOWN_CALL");
        expect(thrownCode(() => spool.endCall("nope", "completed", "bye", 1))).toBe("SPOOL_UNKNOWN_CALL");
        expect(thrownCode(() => spool.createStream(streamFixture("nope", 0)))).toBe("SPOOL_UNKNOWN_CALL");
      });
    });

    describe("streams", () => {
      it("gives new streams increasing ids and lists them in m-line order", () => {
        const call = callFixture(1);
        spool.createCall(call);
        const second = spool.createStream(streamFixture(call.callId, 1));
        const first = spool.createStream(streamFixture(call.callId, 0));
        expect(first.streamId).toBeGreaterThan(second.streamId);
        expect(first).toEqual({ ...streamFixture(call.callId, 0), streamId: first.streamId, endedUs: 0 });
        expect(spool.listStreams(call.callId)).toEqual([first, second]);
        expect(spool.listStreams("other")).toEqual([]);
      });

      it("records the end of a stream and refuses frames after it", () => {
        const { call, stream } = callWithStream(spool);
        appendFrames(spool, stream.streamId, 0, 3);
        spool.endStream(stream.streamId, baseUs + 60_000);
        expect(spool.listStreams(call.callId)[0]?.endedUs).toBe(baseUs + 60_000);
        expect(spool.committedIdx(stream.streamId)).toBe(3);
        expect(thrownCode(() => spool.appendFrame(stream.streamId, audioFrame(3)))).toBe(
          "SPOOL_STREAM_ENDED",
        );
      });

      it("refuses frames and ends for a stream that was never created", () => {
        expect(thrownCode(() => spool.appendFrame(999_999, audioFrame(0)))).toBe("SPOOL_UNKNOWN_STREAM");
        expect(thrownCode(() => spool.endStream(999_999, 1))).toBe("SPOOL_UNKNOWN_STREAM");
      });
    });

    describe("frames", () => {
      it("numbers frames 1, 2, 3… per stream, independently of other streams", () => {
        const { call, stream } = callWithStream(spool);
        const other = spool.createStream(streamFixture(call.callId, 1));
        expect(appendFrames(spool, stream.streamId, 0, 3)).toEqual([1, 2, 3]);
        expect(appendFrames(spool, other.streamId, 0, 2)).toEqual([1, 2]);
        expect(spool.lastIdx(stream.streamId)).toBe(3);
        expect(spool.lastIdx(other.streamId)).toBe(2);
      });

      it("serves frames that are still pending, before any commit", () => {
        const { stream } = callWithStream(spool);
        appendFrames(spool, stream.streamId, 0, 3);
        const frames = spool.readFrames(stream.streamId, 1, 10);
        expect(frames.map((f) => f.idx)).toEqual([1, 2, 3]);
        expect(frames[1]).toEqual({ ...audioFrame(1), streamId: stream.streamId, idx: 2 });
        expect(spool.committedIdx(stream.streamId)).toBe(0);
      });

      it("advances committedIdx only when the commit interval has passed", () => {
        const { stream } = callWithStream(spool);
        appendFrames(spool, stream.streamId, 0, 4);
        clock.advance(commitIntervalMs - 1);
        expect(spool.committedIdx(stream.streamId)).toBe(0);
        clock.advance(1);
        expect(spool.committedIdx(stream.streamId)).toBe(4);
        expect(spool.lastIdx(stream.streamId)).toBe(4);
      });

      it("serves committed frames from storage", () => {
        const { stream } = callWithStream(spool);
        appendFrames(spool, stream.streamId, 0, 5);
        spool.flush();
        expect(spool.committedIdx(stream.streamId)).toBe(5);
        const frames = spool.readFrames(stream.streamId, 2, 10);
        expect(frames).toEqual(
          [1, 2, 3, 4].map((n) => ({ ...audioFrame(n), streamId: stream.streamId, idx: n + 1 })),
        );
      });

      it("reads across the commit boundary in idx order without a hole", () => {
        const { stream } = callWithStream(spool);
        appendFrames(spool, stream.streamId, 0, 3);
        clock.advance(commitIntervalMs);
        appendFrames(spool, stream.streamId, 3, 6);
        expect(spool.committedIdx(stream.streamId)).toBe(3);
        expect(spool.readFrames(stream.streamId, 1, 100).map((f) => f.idx)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(spool.readFrames(stream.streamId, 2, 3).map((f) => f.idx)).toEqual([2, 3, 4]);
        expect(spool.readFrames(stream.streamId, 3, 2).map((f) => f.rtpSeq)).toEqual([1002, 1003]);
      });

      it("returns at most `limit` frames, and none from beyond the end", () => {
        const { stream } = callWithStream(spool);
        appendFrames(spool, stream.streamId, 0, 6);
        spool.flush();
        appendFrames(spool, stream.streamId, 6, 8);
        expect(spool.readFrames(stream.streamId, 1, 4)).toHaveLength(4);
        expect(spool.readFrames(stream.streamId, 7, 4).map((f) => f.idx)).toEqual([7, 8]);
        expect(spool.readFrames(stream.streamId, 9, 4)).toEqual([]);
        expect(spool.readFrames(stream.streamId, 100, 4)).toEqual([]);
        expect(spool.readFrames(stream.streamId, 1, 0)).toEqual([]);
      });

      it("gives back payload bytes byte-exact, from a view into a larger buffer, and empty gaps", () => {
        const { stream } = callWithStream(spool);
        const packet = new Uint8Array(12 + 160 + 4).fill(0xaa);
        packet.set(payloadOf(7), 12);
        spool.appendFrame(stream.streamId, audioFrame(0, packet.subarray(12, 12 + 160)));
        spool.appendFrame(stream.streamId, gapFrame(1));
        const every = new Uint8Array(256).map((_, i) => i);
        spool.appendFrame(stream.streamId, audioFrame(2, every));
        const pending = spool.readFrames(stream.streamId, 1, 3);
        spool.flush();
        const committed = spool.readFrames(stream.streamId, 1, 3);
        for (const frames of [pending, committed]) {
          expect(Array.from(frames[0]?.payload ?? [])).toEqual(Array.from(payloadOf(7)));
          expect(frames[1]).toMatchObject({ kind: FrameKind.Gap, gapReason: 2 });
          expect(frames[1]?.payload.byteLength).toBe(0);
          expect(Array.from(frames[2]?.payload ?? [])).toEqual(Array.from(every));
        }
      });

      it("counts frames and totals them per stream, pending included", () => {
        const { call, stream } = callWithStream(spool);
        const other = spool.createStream(streamFixture(call.callId, 1));
        appendFrames(spool, stream.streamId, 0, 3);
        spool.flush();
        spool.appendFrame(stream.streamId, gapFrame(3));
        spool.appendFrame(other.streamId, audioFrame(0));
        expect(spool.countFrames(stream.streamId)).toBe(4);
        expect(spool.frameTotals(call.callId)).toEqual([
          { streamId: stream.streamId, frames: 4, audioFrames: 3, gapFrames: 1, bytes: 480 },
          { streamId: other.streamId, frames: 1, audioFrames: 1, gapFrames: 0, bytes: 160 },
        ]);
      });

      it("commits at once when a call ends", () => {
        const { call, stream } = callWithStream(spool);
        appendFrames(spool, stream.streamId, 0, 2);
        spool.endCall(call.callId, "completed", "bye", baseUs);
        expect(spool.committedIdx(stream.streamId)).toBe(2);
      });

      it("counts appends, commits and pending frames", () => {
        const { stream } = callWithStream(spool);
        appendFrames(spool, stream.streamId, 0, 3);
        expect(spool.stats()).toMatchObject({ framesAppended: 3, framesPending: 3, framesCommitted: 0 });
        clock.advance(commitIntervalMs);
        expect(spool.stats()).toMatchObject({
          framesPending: 0,
          framesCommitted: 3,
          commits: 1,
          commitErrors: 0,
        });
        clock.advance(commitIntervalMs * 5);
        expect(spool.stats().commits).toBe(1);
        expect(spool.stats().bytes).toBeGreaterThan(0);
      });
    });

    describe("sink cursors", () => {
      it("saves, replaces and returns a cursor per (call, sink, unit)", () => {
        const cursor = { callId: "c1", sink: "ai", unit: "call", sessionId: "s1", ackedSeq: 0, done: false };
        expect(spool.getCursor("c1", "ai", "call")).toBeUndefined();
        spool.saveCursor(cursor);
        spool.saveCursor({ ...cursor, unit: "7", ackedSeq: 3 });
        spool.saveCursor({ ...cursor, ackedSeq: 41, done: true });
        expect(spool.getCursor("c1", "ai", "call")).toEqual({ ...cursor, ackedSeq: 41, done: true });
        expect(spool.getCursor("c1", "ai", "7")?.ackedSeq).toBe(3);
      });
    });

    describe("queries for the sinks and the page", () => {
      it("lists cursors filtered by call, sink and delivery, ordered by call, sink and unit", () => {
        const cursor = (callId: string, sink: string, unit: string, done: boolean) => ({
          callId,
          sink,
          unit,
          sessionId: `${callId}-${sink}-${unit}`,
          ackedSeq: 1,
          done,
        });
        const all = [
          cursor("c2", "ai", "call", false),
          cursor("c1", "rec", "7", true),
          cursor("c1", "ai", "8", false),
          cursor("c1", "ai", "7", true),
        ];
        for (const c of all) spool.saveCursor(c);
        const keys = (list: { callId: string; sink: string; unit: string }[]) =>
          list.map((c) => `${c.callId}/${c.sink}/${c.unit}`);
        expect(keys(spool.listCursors())).toEqual(["c1/ai/7", "c1/ai/8", "c1/rec/7", "c2/ai/call"]);
        expect(keys(spool.listCursors({ done: false }))).toEqual(["c1/ai/8", "c2/ai/call"]);
        expect(keys(spool.listCursors({ callId: "c1", sink: "ai" }))).toEqual(["c1/ai/7", "c1/ai/8"]);
        expect(spool.listCursors({ callId: "c1", done: true })).toEqual([all[3], all[1]]);
        expect(spool.listCursors({ callId: "none" })).toEqual([]);
      });

      it("lists the calls of several states, oldest first when asked", () => {
        for (const n of [3, 1, 2, 4]) spool.createCall(callFixture(n));
        spool.endCall(callFixture(1).callId, "completed", "bye", baseUs);
        spool.endCall(callFixture(3).callId, "recovered", "recovered", baseUs);
        spool.endCall(callFixture(4).callId, "completed", "bye", baseUs);
        const ids = (calls: { callId: string }[]) => calls.map((c) => c.callId);
        expect(ids(spool.listCalls({ state: ["completed", "recovered"], order: "oldest" }))).toEqual(
          [1, 3, 4].map((n) => callFixture(n).callId),
        );
        expect(ids(spool.listCalls({ state: ["recovered", "completed"], limit: 2 }))).toEqual(
          [4, 3].map((n) => callFixture(n).callId),
        );
        expect(spool.listCalls({ state: [] })).toEqual([]);
      });

      it("reports a level whose used bytes grow as frames are committed", () => {
        const { stream } = callWithStream(spool);
        const before = spool.level();
        expect(before.maxBytes).toBeGreaterThan(0);
        expect(before.full).toBe(false);
        appendFrames(spool, stream.streamId, 0, 200);
        spool.flush();
        expect(spool.level().bytes).toBeGreaterThan(before.bytes + 200 * 160);
        expect(spool.stats().framesDiscarded).toBe(0);
      });
    });

    describe("retention", () => {
      const nowUs = baseUs + 3_600_000_000;

      it("purges the frames, streams and cursors of delivered calls past retention, and nothing else", () => {
        const old = callWithStream(spool, 1);
        const young = callWithStream(spool, 2);
        appendFrames(spool, old.stream.streamId, 0, 5);
        appendFrames(spool, young.stream.streamId, 0, 5);
        spool.saveCursor({
          callId: old.call.callId,
          sink: "ai",
          unit: "call",
          sessionId: "s",
          ackedSeq: 5,
          done: true,
        });
        spool.endCall(old.call.callId, "completed", "bye", nowUs - 120_000_000);
        spool.endCall(young.call.callId, "completed", "bye", nowUs - 30_000_000);
        const result = spool.purge({ retainMs: 60_000, nowUs, isDelivered: () => true });
        expect(result).toMatchObject({ callsPurged: 1, framesDeleted: 5, more: false });
        expect(spool.getCall(old.call.callId)).toBeUndefined();
        expect(spool.listStreams(old.call.callId)).toEqual([]);
        expect(spool.listCursors({ callId: old.call.callId })).toEqual([]);
        expect(spool.readFrames(young.stream.streamId, 1, 10)).toHaveLength(5);
      });
    });

    describe("events outbox", () => {
      const event = (n: number) => ({
        name: "SESSIONSTARTED",
        callId: `c${n}`,
        time: baseUs + n,
        body: `{"n":${n}}`,
      });

      it("hands out increasing eventSeqs and lists pending events oldest first", () => {
        const seqs = [1, 2, 3].map((n) => spool.appendEvent(event(n)));
        expect(seqs[1]).toBeGreaterThan(seqs[0] ?? 0);
        expect(seqs[2]).toBeGreaterThan(seqs[1] ?? 0);
        expect(spool.pendingEvents(2)).toEqual([
          { ...event(1), eventSeq: seqs[0] },
          { ...event(2), eventSeq: seqs[1] },
        ]);
      });

      it("drops acknowledged events from the outbox", () => {
        const first = spool.appendEvent(event(1));
        const second = spool.appendEvent(event(2));
        spool.ackEvent(first);
        spool.ackEvent(first);
        expect(spool.pendingEvents(10).map((e) => e.eventSeq)).toEqual([second]);
      });

      it("counts the events waiting for their acknowledgement", () => {
        expect(spool.outboxDepth()).toBe(0);
        const seqs = [1, 2, 3].map((n) => spool.appendEvent(event(n)));
        spool.ackEvent(seqs[0] ?? 0);
        spool.ackEvent(seqs[0] ?? 0);
        spool.ackEvent(999_999);
        expect(spool.outboxDepth()).toBe(2);
      });
    });

    describe.skipIf(skip.durability !== undefined)(
      `durability${skip.durability ? ` (${skip.durability})` : ""}`,
      () => {
        it("shows every call, stream and frame after close and reopen, and continues the idx", () => {
          const { call, stream } = callWithStream(spool);
          appendFrames(spool, stream.streamId, 0, 5);
          clock.advance(commitIntervalMs);
          appendFrames(spool, stream.streamId, 5, 7);
          const before = spool.readFrames(stream.streamId, 1, 100);
          reopen();
          expect(spool.getCall(call.callId)).toEqual(call);
          expect(spool.listStreams(call.callId)).toEqual([stream]);
          expect(spool.readFrames(stream.streamId, 1, 100)).toEqual(before);
          expect(spool.committedIdx(stream.streamId)).toBe(7);
          expect(spool.appendFrame(stream.streamId, audioFrame(7))).toBe(8);
        });

        it("after a crash (never closed) shows every committed frame and none of the pending ones", () => {
          const crashing = open(new ManualClock());
          const { call, stream } = callWithStream(crashing);
          appendFrames(crashing, stream.streamId, 0, 4);
          crashing.flush();
          appendFrames(crashing, stream.streamId, 4, 6);
          opened.splice(opened.indexOf(crashing), 1);
          const recovered = open();
          expect(recovered.readFrames(stream.streamId, 1, 100).map((f) => f.idx)).toEqual([1, 2, 3, 4]);
          expect(recovered.getCall(call.callId)).toEqual(call);
          expect(recovered.listLiveCallsAtOpen()).toEqual([call]);
          expect(recovered.appendFrame(stream.streamId, audioFrame(4))).toBe(5);
        });

        it("closes the calls a crash left live as recovered, ending their streams at the last committed frame", () => {
          const crashing = open(new ManualClock());
          const { call, stream } = callWithStream(crashing);
          appendFrames(crashing, stream.streamId, 0, 4);
          crashing.flush();
          appendFrames(crashing, stream.streamId, 4, 6);
          opened.splice(opened.indexOf(crashing), 1);
          const recovered = open();
          const endedUs = baseUs + 600_000_000;
          expect(recovered.recoverLiveCalls(endedUs)).toEqual([
            { ...call, state: "recovered", reason: "recovered", endedUs },
          ]);
          expect(recovered.listStreams(call.callId)).toEqual([{ ...stream, endedUs }]);
          expect(recovered.lastIdx(stream.streamId)).toBe(4);
          expect(thrownCode(() => recovered.appendFrame(stream.streamId, audioFrame(4)))).toBe(
            "SPOOL_STREAM_ENDED",
          );
          expect(recovered.recoverLiveCalls(endedUs)).toEqual([]);
        });

        it("lists the calls that were live at open, not those that ended or started later", () => {
          const live = callFixture(1);
          spool.createCall(live);
          spool.createCall(callFixture(2));
          spool.endCall(callFixture(2).callId, "completed", "bye", baseUs);
          expect(spool.listLiveCallsAtOpen()).toEqual([]);
          reopen();
          spool.createCall(callFixture(3));
          expect(spool.listLiveCallsAtOpen()).toEqual([live]);
        });

        it("never reuses a stream id or an eventSeq after reopen, even once events are acknowledged", () => {
          const { stream } = callWithStream(spool);
          const seq = spool.appendEvent({ name: "ALARM", callId: "", time: baseUs, body: "{}" });
          spool.ackEvent(seq);
          reopen();
          expect(spool.appendEvent({ name: "ALARM", callId: "", time: baseUs, body: "{}" })).toBeGreaterThan(
            seq,
          );
          expect(spool.createStream(streamFixture(stream.callId, 1)).streamId).toBeGreaterThan(
            stream.streamId,
          );
        });

        it("keeps cursors across reopen", () => {
          const cursor = {
            callId: "c1",
            sink: "ai",
            unit: "call",
            sessionId: "s1",
            ackedSeq: 12,
            done: false,
          };
          spool.saveCursor(cursor);
          reopen();
          expect(spool.getCursor("c1", "ai", "call")).toEqual(cursor);
        });

        it("allows close twice", () => {
          spool.close();
          expect(() => spool.close()).not.toThrow();
        });
      },
    );
  });
}
