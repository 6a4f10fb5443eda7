import type { Database, Statement } from "bun:sqlite";
import { FrameKind } from "../lib/index.ts";
import { SpoolError } from "./errors.ts";
import { type FrameRow, frameFromRow } from "./rows.ts";
import type { FrameInput, FrameRecord, StreamFrameTotals } from "./spool-types.ts";

/** In-memory state of a stream that may still receive frames (created here, or not ended at open). */
interface LiveStream {
  /** The stream. */
  readonly streamId: number;
  /** Highest idx committed to SQLite. */
  committedIdx: number;
  /** Frames appended since the last commit; `pending[i]` has idx `committedIdx + 1 + i`. */
  readonly pending: FrameInput[];
  /** Whether the stream is in the dirty list of the next commit. */
  dirty: boolean;
}

type InsertParams = [number, number, number, number, number, number, number, number, number, Uint8Array];

/**
 * The `frames` table with its group commit (DESIGN.md §4): appends go to an in-memory pending list
 * per stream (no SQLite on the hot path); {@link FrameStore.commit} writes every pending frame in one
 * transaction; reads merge committed rows and pending frames in idx order.
 * @internal used by `SqliteSpool` only.
 */
export class FrameStore {
  readonly #db: Database;
  /** Streams that may receive frames, by id. */
  readonly #live = new Map<number, LiveStream>();
  /** Streams with pending frames, in the order they got their first one since the last commit. */
  #dirty: LiveStream[] = [];
  /** Frames waiting for the next commit, all streams. */
  #pendingCount = 0;
  /** Frames appended since open. */
  #appended = 0;
  readonly #begin: Statement;
  readonly #commit: Statement;
  readonly #rollback: Statement;
  readonly #insert: Statement<unknown, InsertParams>;
  readonly #readFrom: Statement<FrameRow, [number, number, number]>;
  readonly #storedLast: Statement<{ last: number }, [number]>;
  readonly #countStored: Statement<{ n: number }, [number]>;
  readonly #streamEnded: Statement<{ ended_us: number }, [number]>;

  constructor(db: Database) {
    this.#db = db;
    this.#begin = db.prepare("BEGIN IMMEDIATE");
    this.#commit = db.prepare("COMMIT");
    this.#rollback = db.prepare("ROLLBACK");
    this.#insert = db.prepare(
      `INSERT INTO frames (stream_id, idx, kind, flags, gap_reason, rtp_seq, pos, capture_us,
         duration_samples, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#readFrom = db.prepare(
      `SELECT idx, kind, flags, gap_reason, rtp_seq, pos, capture_us, duration_samples, payload
         FROM frames WHERE stream_id = ? AND idx >= ? ORDER BY idx LIMIT ?`,
    );
    this.#storedLast = db.prepare(
      `SELECT MAX(last_idx, COALESCE((SELECT MAX(idx) FROM frames WHERE stream_id = ?1), 0)) AS last
         FROM streams WHERE stream_id = ?1`,
    );
    this.#countStored = db.prepare("SELECT COUNT(*) AS n FROM frames WHERE stream_id = ?");
    this.#streamEnded = db.prepare("SELECT ended_us FROM streams WHERE stream_id = ?");
    const open = db.query<{ stream_id: number }, []>("SELECT stream_id FROM streams WHERE ended_us = 0");
    for (const row of open.all()) this.track(row.stream_id, this.#storedLastIdx(row.stream_id));
  }

  /** Starts accepting frames for a stream whose highest stored idx is `lastIdx`. */
  track(streamId: number, lastIdx: number): void {
    this.#live.set(streamId, { streamId, committedIdx: lastIdx, pending: [], dirty: false });
  }

  /**
   * Stops accepting frames for a stream and returns its last idx. Call after a successful
   * {@link FrameStore.commit}, so nothing of it is pending.
   */
  retire(streamId: number): number {
    const live = this.#live.get(streamId);
    if (live === undefined) return this.#storedLastIdx(streamId);
    this.#live.delete(streamId);
    return live.committedIdx;
  }

  /** Whether the stream accepts frames. */
  isLive(streamId: number): boolean {
    return this.#live.has(streamId);
  }

  /**
   * Queues a frame (hot path: a map lookup and an array push; the object is kept, not copied).
   * @returns its idx.
   * @throws SpoolError `SPOOL_UNKNOWN_STREAM` / `SPOOL_STREAM_ENDED`.
   */
  append(streamId: number, frame: FrameInput): number {
    const live = this.#live.get(streamId);
    if (live === undefined) throw this.#notLive(streamId);
    const pending = live.pending;
    pending.push(frame);
    if (!live.dirty) {
      live.dirty = true;
      this.#dirty.push(live);
    }
    this.#pendingCount++;
    this.#appended++;
    return live.committedIdx + pending.length;
  }

  /**
   * Writes every pending frame in one transaction. On failure nothing is written, every frame stays
   * pending, and the SQLite error is rethrown.
   * @returns the number of frames committed (0 when nothing was pending).
   */
  commit(): number {
    const dirty = this.#dirty;
    if (dirty.length === 0) return 0;
    const insert = this.#insert;
    this.#begin.run();
    try {
      for (let s = 0; s < dirty.length; s++) {
        const stream = dirty[s]!;
        const pending = stream.pending;
        const base = stream.committedIdx + 1;
        for (let i = 0; i < pending.length; i++) {
          const f = pending[i]!;
          insert.run(
            stream.streamId,
            base + i,
            f.kind,
            f.flags,
            f.gapReason,
            f.rtpSeq,
            f.pos,
            f.captureUs,
            f.durationSamples,
            f.payload,
          );
        }
      }
      this.#commit.run();
    } catch (err) {
      this.#rollbackQuietly();
      throw err;
    }
    const committed = this.#pendingCount;
    for (const stream of dirty) {
      stream.committedIdx += stream.pending.length;
      stream.pending.length = 0;
      stream.dirty = false;
    }
    this.#dirty = [];
    this.#pendingCount = 0;
    return committed;
  }

  /** Frames with `idx >= fromIdx`, ascending, at most `limit`: committed rows, then pending frames. */
  read(streamId: number, fromIdx: number, limit: number): FrameRecord[] {
    const out: FrameRecord[] = [];
    if (limit <= 0) return out;
    const live = this.#live.get(streamId);
    if (live === undefined || fromIdx <= live.committedIdx) {
      for (const row of this.#readFrom.all(streamId, fromIdx, limit)) out.push(frameFromRow(streamId, row));
    }
    if (live === undefined) return out;
    const pending = live.pending;
    let idx = Math.max(fromIdx, live.committedIdx + 1);
    for (let i = idx - live.committedIdx - 1; i < pending.length && out.length < limit; i++, idx++) {
      out.push(pendingRecord(streamId, idx, pending[i]!));
    }
    return out;
  }

  /** Highest idx of a stream, pending included; 0 if none or unknown. */
  lastIdx(streamId: number): number {
    const live = this.#live.get(streamId);
    return live === undefined ? this.#storedLastIdx(streamId) : live.committedIdx + live.pending.length;
  }

  /** Highest committed idx of a stream; 0 if none or unknown. */
  committedIdx(streamId: number): number {
    const live = this.#live.get(streamId);
    return live === undefined ? this.#storedLastIdx(streamId) : live.committedIdx;
  }

  /** Frames stored for a stream, committed and pending. */
  count(streamId: number): number {
    const stored = this.#countStored.get(streamId)?.n ?? 0;
    return stored + (this.#live.get(streamId)?.pending.length ?? 0);
  }

  /** Frame counts per stream of a call, in m-line order, committed and pending together. */
  totals(callId: string): StreamFrameTotals[] {
    const rows = this.#db
      .query<StreamFrameTotals, [string]>(
        `SELECT s.stream_id AS streamId, COUNT(f.idx) AS frames,
                COALESCE(SUM(f.kind = 1), 0) AS audioFrames, COALESCE(SUM(f.kind = 2), 0) AS gapFrames,
                COALESCE(SUM(LENGTH(f.payload)), 0) AS bytes
           FROM streams s LEFT JOIN frames f ON f.stream_id = s.stream_id
          WHERE s.call_id = ? GROUP BY s.stream_id ORDER BY s.mline_index, s.stream_id`,
      )
      .all(callId);
    for (const totals of rows) {
      for (const f of this.#live.get(totals.streamId)?.pending ?? []) {
        totals.frames++;
        if (f.kind === FrameKind.Audio) totals.audioFrames++;
        else totals.gapFrames++;
        totals.bytes += f.payload.byteLength;
      }
    }
    return rows;
  }

  /** Frames waiting for the next commit. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  /** Frames appended since open. */
  get appendedCount(): number {
    return this.#appended;
  }

  /** Finalizes the prepared statements (before the database closes). */
  finalize(): void {
    for (const st of [this.#begin, this.#commit, this.#rollback, this.#insert, this.#readFrom]) st.finalize();
    for (const st of [this.#storedLast, this.#countStored, this.#streamEnded]) st.finalize();
  }

  #storedLastIdx(streamId: number): number {
    return this.#storedLast.get(streamId)?.last ?? 0;
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
