import type { Database, Statement } from "bun:sqlite";
import { FrameKind, GapReason } from "../lib/index.ts";
import { ChunkTable } from "./chunk-table.ts";
import { type LiveStream, type OpenRun, writeStreamChunks } from "./chunk-writer.ts";
import { SpoolError } from "./errors.ts";
import { PendingRun } from "./pending-run.ts";
import type { SpoolBudget } from "./spool-budget.ts";
import type { FrameInput, FrameRecord, StreamFrameTotals } from "./spool-types.ts";

/** The payload of every DISCARDED gap (shared, never written to). */
const noPayload = new Uint8Array(0);

/**
 * Frames with their group commit (DESIGN.md §4): appends go to an in-memory pending list per stream
 * (no SQLite on the hot path); {@link FrameStore.commit} writes every stream's pending frames as one
 * chunk row in one transaction (or grows the stream's open run of DISCARDED gaps); reads merge
 * stored chunks and pending frames in idx order. Audio the {@link SpoolBudget} does not admit is
 * turned into a DISCARDED gap in place.
 * @internal used by `SqliteSpool` only.
 */
export class FrameStore {
  readonly #db: Database;
  readonly #budget: SpoolBudget;
  readonly #table: ChunkTable;
  /** Streams that may receive frames, by id. */
  readonly #live = new Map<number, LiveStream>();
  /** Streams with pending frames, in the order they got their first one since the last commit. */
  #dirty: LiveStream[] = [];
  /** Frames waiting for the next commit, all streams. */
  #pendingCount = 0;
  /** Payload bytes of the pending frames. */
  #pendingPayloadBytes = 0;
  /** Frames appended since open. */
  #appended = 0;
  /** AUDIO frames turned into DISCARDED gaps since open. */
  #discarded = 0;
  readonly #begin: Statement;
  readonly #commit: Statement;
  readonly #rollback: Statement;
  readonly #streamEnded: Statement<{ ended_us: number }, [number]>;

  constructor(db: Database, budget: SpoolBudget) {
    this.#db = db;
    this.#budget = budget;
    this.#table = new ChunkTable(db);
    this.#begin = db.prepare("BEGIN IMMEDIATE");
    this.#commit = db.prepare("COMMIT");
    this.#rollback = db.prepare("ROLLBACK");
    this.#streamEnded = db.prepare("SELECT ended_us FROM streams WHERE stream_id = ?");
    const open = db.query<{ stream_id: number }, []>("SELECT stream_id FROM streams WHERE ended_us = 0");
    for (const row of open.all()) this.track(row.stream_id, this.#table.lastIdx(row.stream_id));
  }

  /** The stored frames (for the purge). */
  get table(): ChunkTable {
    return this.#table;
  }

  /** Starts accepting frames for a stream whose highest stored idx is `lastIdx`. */
  track(streamId: number, lastIdx: number): void {
    this.#live.set(streamId, {
      streamId,
      committedIdx: lastIdx,
      pending: [],
      overflow: [],
      overflowFrames: 0,
      dirty: false,
      run: undefined,
    });
  }

  /**
   * Stops accepting frames for a stream and returns its last idx. Call after a successful
   * {@link FrameStore.commit}, so nothing of it is pending.
   */
  retire(streamId: number): number {
    const live = this.#live.get(streamId);
    if (live === undefined) return this.#table.lastIdx(streamId);
    this.#live.delete(streamId);
    return live.committedIdx;
  }

  /** Whether the stream accepts frames. */
  isLive(streamId: number): boolean {
    return this.#live.has(streamId);
  }

  /**
   * Queues a frame (hot path: a map lookup and an array push; the object is kept, not copied). AUDIO
   * the budget does not admit becomes a DISCARDED gap, in the caller's object.
   * @returns its idx.
   * @throws SpoolError `SPOOL_UNKNOWN_STREAM` / `SPOOL_STREAM_ENDED`.
   */
  append(streamId: number, frame: FrameInput): number {
    const live = this.#live.get(streamId);
    if (live === undefined) throw this.#notLive(streamId);
    if (frame.kind !== FrameKind.Audio) this.#budget.addGap();
    else if (this.#budget.admitAudio(frame.payload.byteLength, this.#pendingCount)) {
      this.#pendingPayloadBytes += frame.payload.byteLength;
    } else {
      discard(frame);
      this.#discarded++;
    }
    if (live.overflowFrames > 0 || this.#pendingCount >= this.#budget.maxPendingFrames) {
      const tail = live.overflow.at(-1);
      if (tail === undefined || !tail.extend(frame)) live.overflow.push(new PendingRun(frame));
      live.overflowFrames++;
    } else {
      live.pending.push(frame);
    }
    if (!live.dirty) {
      live.dirty = true;
      this.#dirty.push(live);
    }
    this.#pendingCount++;
    this.#appended++;
    return live.committedIdx + live.pending.length + live.overflowFrames;
  }

  /**
   * Writes every pending frame in one transaction. On failure nothing is written, every frame stays
   * pending, and the SQLite error is rethrown.
   * @returns the number of frames committed (0 when nothing was pending).
   */
  commit(): number {
    const dirty = this.#dirty;
    if (dirty.length === 0) return 0;
    const runs: (OpenRun | undefined)[] = new Array(dirty.length);
    this.#begin.run();
    try {
      for (let s = 0; s < dirty.length; s++) runs[s] = writeStreamChunks(this.#table, dirty[s]!);
      this.#commit.run();
    } catch (err) {
      this.#rollbackQuietly();
      throw err;
    }
    const committed = this.#pendingCount;
    for (let s = 0; s < dirty.length; s++) {
      const stream = dirty[s]!;
      stream.committedIdx += stream.pending.length + stream.overflowFrames;
      stream.pending.length = 0;
      stream.overflow = [];
      stream.overflowFrames = 0;
      stream.dirty = false;
      stream.run = runs[s];
    }
    this.#dirty = [];
    this.#pendingCount = 0;
    this.#pendingPayloadBytes = 0;
    return committed;
  }

  /**
   * Turns every pending AUDIO frame into a DISCARDED gap in place (after a commit failed with
   * SQLITE_FULL: the gaps are tiny and keep the timeline), and returns how many were turned.
   */
  discardPending(): number {
    let turned = 0;
    for (const stream of this.#dirty) {
      for (const frame of stream.pending) {
        if (frame.kind !== FrameKind.Audio) continue;
        discard(frame);
        turned++;
      }
    }
    this.#discarded += turned;
    this.#pendingPayloadBytes = 0;
    return turned;
  }

  /** Frames with `idx >= fromIdx`, ascending, at most `limit`: stored ones, then pending ones. */
  read(streamId: number, fromIdx: number, limit: number): FrameRecord[] {
    const out: FrameRecord[] = [];
    if (limit <= 0) return out;
    const live = this.#live.get(streamId);
    if (live === undefined || fromIdx <= live.committedIdx) this.#table.read(streamId, fromIdx, limit, out);
    if (live === undefined) return out;
    const pending = live.pending;
    const from = Math.max(fromIdx, live.committedIdx + 1);
    for (
      let i = from - live.committedIdx - 1, idx = from;
      i < pending.length && out.length < limit;
      i++, idx++
    ) {
      out.push(pendingRecord(streamId, idx, pending[i]!));
    }
    let runIdx = live.committedIdx + pending.length + 1;
    for (const run of live.overflow) {
      if (out.length >= limit) break;
      for (let k = Math.max(0, from - runIdx); k < run.count && out.length < limit; k++) {
        out.push(run.frameAt(k, streamId, runIdx + k));
      }
      runIdx += run.count;
    }
    return out;
  }

  /** Highest idx of a stream, pending included; 0 if none or unknown. */
  lastIdx(streamId: number): number {
    const live = this.#live.get(streamId);
    return live === undefined
      ? this.#table.lastIdx(streamId)
      : live.committedIdx + live.pending.length + live.overflowFrames;
  }

  /** Highest committed idx of a stream; 0 if none or unknown. */
  committedIdx(streamId: number): number {
    const live = this.#live.get(streamId);
    return live === undefined ? this.#table.lastIdx(streamId) : live.committedIdx;
  }

  /** Frames stored for a stream, committed and pending. */
  count(streamId: number): number {
    const live = this.#live.get(streamId);
    return this.#table.count(streamId) + (live === undefined ? 0 : live.pending.length + live.overflowFrames);
  }

  /** Frame counts per stream of a call, in m-line order, committed and pending together. */
  totals(callId: string): StreamFrameTotals[] {
    const rows = this.#table.totals(callId);
    for (const totals of rows) {
      const live = this.#live.get(totals.streamId);
      if (live === undefined) continue;
      for (const f of live.pending) {
        totals.frames++;
        if (f.kind === FrameKind.Audio) totals.audioFrames++;
        else totals.gapFrames++;
        totals.bytes += f.payload.byteLength;
      }
      totals.frames += live.overflowFrames;
      totals.gapFrames += live.overflowFrames;
    }
    return rows;
  }

  /** Frames waiting for the next commit. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  /** Payload bytes waiting for the next commit. */
  get pendingPayloadBytes(): number {
    return this.#pendingPayloadBytes;
  }

  /** Frames appended since open. */
  get appendedCount(): number {
    return this.#appended;
  }

  /** AUDIO frames stored as DISCARDED gaps since open. */
  get discardedCount(): number {
    return this.#discarded;
  }

  /** Finalizes the prepared statements (before the database closes). */
  finalize(): void {
    for (const st of [this.#begin, this.#commit, this.#rollback, this.#streamEnded]) st.finalize();
    this.#table.finalize();
  }

  #notLive(streamId: number): SpoolError {
    const row = this.#streamEnded.get(streamId);
    if (row === null) return new SpoolError("SPOOL_UNKNOWN_STREAM", `stream ${streamId} is not in the spool`);
    return new SpoolError("SPOOL_STREAM_ENDED", `stream ${streamId} has ended; no frame may follow`);
  }

  #rollbackQuietly(): void {
    if (!this.#db.inTransaction) return;
    try {
      this.#rollback.run();
    } catch {
      // SQLite already rolled back (it does on SQLITE_FULL and some I/O errors); nothing else to undo.
    }
  }
}

/** Turns an AUDIO frame into a GAP with reason DISCARDED: same idx, pos, times and duration, no payload. */
function discard(frame: FrameInput): void {
  frame.kind = FrameKind.Gap;
  frame.gapReason = GapReason.Discarded;
  frame.payload = noPayload;
}

function pendingRecord(streamId: number, idx: number, f: FrameInput): FrameRecord {
  return {
    streamId,
    idx,
    kind: f.kind,
    flags: f.flags,
    gapReason: f.gapReason,
    rtpSeq: f.rtpSeq,
    pos: f.pos,
    captureUs: f.captureUs,
    durationSamples: f.durationSamples,
    payload: f.payload,
  };
}
