import type { Database, Statement } from "bun:sqlite";
import { decodeChunk } from "./chunk-codec.ts";
import { type FrameRow, frameFromRow } from "./rows.ts";
import type { FrameRecord, StreamFrameTotals } from "./spool-types.ts";

interface ChunkRow {
  first_idx: number;
  last_idx: number;
  data: Uint8Array;
}

/** Frames a chunk holds for sizing reads: one group commit of 20 ms frames every 100 ms. */
const typicalChunkFrames = 5;

/**
 * SQL access to stored frames: the `chunks` table (schema 3) and, read and purged only, the
 * per-frame `frames` table of schema 1 (`streamId ≤ legacyMaxStreamId`; a stream is never in both
 * because a restart ends every stream). Positions never restart: `lastIdx` also reads
 * `streams.last_idx`.
 * @internal used by `FrameStore` and `SpoolPurger` only.
 */
export class ChunkTable {
  /** Highest stream id with rows in the legacy `frames` table when the spool was opened (0: none). */
  readonly #legacyMaxStreamId: number;
  readonly #insert: Statement<unknown, [number, number, number, number, number, Uint8Array]>;
  readonly #extend: Statement<unknown, [number, number]>;
  readonly #readChunks: Statement<ChunkRow, [number, number, number]>;
  readonly #readLegacy: Statement<FrameRow, [number, number, number]>;
  readonly #lastIdx: Statement<{ last: number }, [number]>;
  readonly #count: Statement<{ n: number }, [number]>;
  readonly #deleteChunks: Statement<{ n: number }, [number, number]>;
  readonly #anyChunk: Statement<{ n: number }, [number]>;
  readonly #deleteLegacy: Statement<unknown, [number, number]>;
  readonly #totals: Statement<StreamFrameTotals, [string]>;
  readonly #keepLastIdx: Statement<unknown, [string]>;

  constructor(db: Database) {
    this.#legacyMaxStreamId =
      db.query<{ m: number | null }, []>("SELECT MAX(stream_id) AS m FROM frames").get()?.m ?? 0;
    this.#insert = db.prepare(
      `INSERT INTO chunks (stream_id, first_idx, last_idx, audio_frames, payload_bytes, data)
         VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.#extend = db.prepare("UPDATE chunks SET last_idx = ? WHERE chunk_id = ?");
    this.#readChunks = db.prepare(
      `SELECT first_idx, last_idx, data FROM chunks WHERE stream_id = ? AND last_idx >= ?
         ORDER BY last_idx LIMIT ?`,
    );
    this.#readLegacy = db.prepare(
      `SELECT idx, kind, flags, gap_reason, rtp_seq, pos, capture_us, duration_samples, payload
         FROM frames WHERE stream_id = ? AND idx >= ? ORDER BY idx LIMIT ?`,
    );
    const storedMax = (table: string) =>
      `COALESCE((SELECT MAX(${table === "chunks" ? "last_idx" : "idx"}) FROM ${table} t WHERE t.stream_id = s.stream_id), 0)`;
    this.#lastIdx = db.prepare(
      `SELECT MAX(s.last_idx, ${storedMax("chunks")}, ${storedMax("frames")}) AS last
         FROM streams s WHERE s.stream_id = ?`,
    );
    this.#count = db.prepare(
      `SELECT COALESCE((SELECT SUM(last_idx - first_idx + 1) FROM chunks WHERE stream_id = ?1), 0)
            + (SELECT COUNT(*) FROM frames WHERE stream_id = ?1) AS n`,
    );
    this.#deleteChunks = db.prepare(
      `DELETE FROM chunks WHERE stream_id = ?1 AND last_idx <= (SELECT MAX(first_idx + ?2 - 1, last_idx)
         FROM chunks WHERE stream_id = ?1 ORDER BY last_idx LIMIT 1)
       RETURNING last_idx - first_idx + 1 AS n`,
    );
    this.#anyChunk = db.prepare("SELECT 1 AS n FROM chunks WHERE stream_id = ? LIMIT 1");
    this.#deleteLegacy = db.prepare(
      "DELETE FROM frames WHERE frame_id IN (SELECT frame_id FROM frames WHERE stream_id = ? LIMIT ?)",
    );
    const perStream = (chunks: string, legacy: string) =>
      `(SELECT COALESCE(SUM(${chunks}), 0) FROM chunks c WHERE c.stream_id = s.stream_id)
       + (SELECT COALESCE(SUM(${legacy}), 0) FROM frames f WHERE f.stream_id = s.stream_id)`;
    this.#totals = db.prepare(
      `SELECT s.stream_id AS streamId, ${perStream("last_idx - first_idx + 1", "1")} AS frames,
              ${perStream("audio_frames", "kind = 1")} AS audioFrames, 0 AS gapFrames,
              ${perStream("payload_bytes", "LENGTH(payload)")} AS bytes
         FROM streams s WHERE s.call_id = ? ORDER BY s.mline_index, s.stream_id`,
    );
    this.#keepLastIdx = db.prepare(
      `UPDATE streams AS s SET last_idx = MAX(s.last_idx, ${storedMax("chunks")}, ${storedMax("frames")})
        WHERE s.call_id = ?`,
    );
  }

  /** Stores a chunk of frames `firstIdx..lastIdx` of a stream and returns its row id. */
  insert(
    streamId: number,
    firstIdx: number,
    lastIdx: number,
    audioFrames: number,
    payloadBytes: number,
    data: Uint8Array,
  ): number {
    return Number(
      this.#insert.run(streamId, firstIdx, lastIdx, audioFrames, payloadBytes, data).lastInsertRowid,
    );
  }

  /** Grows a run chunk to end at `lastIdx`. */
  extendRun(chunkId: number, lastIdx: number): void {
    this.#extend.run(lastIdx, chunkId);
  }

  /** Appends stored frames of a stream with idx ≥ `fromIdx` to `out`, ascending, until it holds `limit`. */
  read(streamId: number, fromIdx: number, limit: number, out: FrameRecord[]): void {
    let from = fromIdx;
    if (streamId <= this.#legacyMaxStreamId) {
      for (const row of this.#readLegacy.all(streamId, from, limit - out.length)) {
        out.push(frameFromRow(streamId, row));
      }
      const last = out.at(-1);
      if (last !== undefined) from = last.idx + 1;
    }
    while (out.length < limit) {
      const rows = Math.ceil((limit - out.length) / typicalChunkFrames) + 1;
      const chunks = this.#readChunks.all(streamId, from, rows);
      for (const c of chunks) decodeChunk(streamId, c.first_idx, c.last_idx, c.data, from, out, limit);
      const last = chunks.at(-1);
      if (last === undefined || chunks.length < rows) return;
      from = last.last_idx + 1;
    }
  }

  /** Highest idx stored for a stream (frames, or `streams.last_idx` once they were purged); 0 if none. */
  lastIdx(streamId: number): number {
    return this.#lastIdx.get(streamId)?.last ?? 0;
  }

  /** Frames stored for a stream. */
  count(streamId: number): number {
    return this.#count.get(streamId)?.n ?? 0;
  }

  /** Stored frame counts per stream of a call, in m-line order. */
  totals(callId: string): StreamFrameTotals[] {
    const rows = this.#totals.all(callId);
    for (const t of rows) t.gapFrames = t.frames - t.audioFrames;
    return rows;
  }

  /**
   * Deletes the oldest stored frames of a stream, whole chunks covering at most `maxFrames` idx (at
   * least one chunk, however long).
   * @returns the frames deleted, and whether the stream has none left.
   */
  deleteSome(streamId: number, maxFrames: number): { frames: number; done: boolean } {
    if (streamId <= this.#legacyMaxStreamId) {
      const legacy = this.#deleteLegacy.run(streamId, maxFrames).changes;
      if (legacy > 0) return { frames: legacy, done: false };
    }
    let frames = 0;
    for (const row of this.#deleteChunks.all(streamId, maxFrames)) frames += row.n;
    return { frames, done: this.#anyChunk.get(streamId) === null };
  }

  /** Writes `streams.last_idx` of every stream of a call from its stored frames (before a purge deletes them). */
  keepLastIdx(callId: string): void {
    this.#keepLastIdx.run(callId);
  }

  /** Finalizes the prepared statements (before the database closes). */
  finalize(): void {
    for (const st of [this.#insert, this.#extend, this.#readChunks, this.#readLegacy, this.#lastIdx])
      st.finalize();
    for (const st of [this.#count, this.#deleteChunks, this.#anyChunk, this.#deleteLegacy, this.#totals]) {
      st.finalize();
    }
    this.#keepLastIdx.finalize();
  }
}
