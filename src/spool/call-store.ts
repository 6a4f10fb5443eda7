import type { Database } from "bun:sqlite";
import { guardWrite, SpoolError } from "./errors.ts";
import {
  type CallRow,
  callColumns,
  callColumnValue,
  callFromRow,
  type StreamRow,
  streamFromRow,
} from "./rows.ts";
import type { CallRecord, CallState, ListCallsOptions, StreamRecord } from "./spool-types.ts";

/**
 * The `calls` and `streams` tables: written at once (call rate), participants and correlation ids
 * as JSON text.
 * @internal used by `SqliteSpool` only.
 */
export class CallStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** @throws SpoolError `SPOOL_WRITE` (also for a duplicate `callId`). */
  createCall(call: CallRecord): void {
    const cols = Object.keys(callColumns) as (keyof typeof callColumns)[];
    const sql = `INSERT INTO calls (call_id, ${cols.map((c) => callColumns[c]).join(", ")})
      VALUES (?${", ?".repeat(cols.length)})`;
    const values = cols.map((c) => callColumnValue(c, call[c]));
    guardWrite(`create call ${call.callId}`, () => this.#db.query(sql).run(call.callId, ...values));
  }

  /** @throws SpoolError `SPOOL_UNKNOWN_CALL`, `SPOOL_WRITE`. */
  updateCall(callId: string, patch: Partial<Omit<CallRecord, "callId">>): void {
    const cols = (Object.keys(callColumns) as (keyof typeof callColumns)[]).filter(
      (c) => patch[c] !== undefined,
    );
    if (cols.length === 0) {
      this.requireCall(callId);
      return;
    }
    const sql = `UPDATE calls SET ${cols.map((c) => `${callColumns[c]} = ?`).join(", ")} WHERE call_id = ?`;
    const values = cols.map((c) => callColumnValue(c, patch[c] as CallRecord[typeof c]));
    const { changes } = guardWrite(`update call ${callId}`, () => this.#db.query(sql).run(...values, callId));
    if (changes === 0) throw unknownCall(callId);
  }

  /** @throws SpoolError `SPOOL_UNKNOWN_CALL`, `SPOOL_WRITE`. */
  endCall(callId: string, state: Exclude<CallState, "live">, reason: string, endedUs: number): void {
    const { changes } = guardWrite(`end call ${callId}`, () =>
      this.#db
        .query("UPDATE calls SET state = ?, reason = ?, ended_us = ? WHERE call_id = ?")
        .run(state, reason, endedUs, callId),
    );
    if (changes === 0) throw unknownCall(callId);
  }

  getCall(callId: string): CallRecord | undefined {
    const row = this.#db.query<CallRow, [string]>("SELECT * FROM calls WHERE call_id = ?").get(callId);
    return row === null ? undefined : callFromRow(row);
  }

  /** By start time, then call id: most recent first, or oldest first with `order: "oldest"`. */
  listCalls(options: ListCallsOptions): CallRecord[] {
    const states: readonly CallState[] =
      options.state === undefined ? [] : typeof options.state === "string" ? [options.state] : options.state;
    if (options.state !== undefined && states.length === 0) return [];
    const where = states.length === 0 ? "" : `WHERE state IN (${states.map(() => "?").join(", ")})`;
    const dir = options.order === "oldest" ? "ASC" : "DESC";
    return this.#db
      .query<CallRow, (string | number)[]>(
        `SELECT * FROM calls ${where} ORDER BY started_us ${dir}, call_id ${dir} LIMIT ?`,
      )
      .all(...states, options.limit ?? -1)
      .map(callFromRow);
  }

  /** Ids of the streams of a call that have not ended (`ended_us = 0`). */
  openStreamIds(callId: string): number[] {
    return this.#db
      .query<{ stream_id: number }, [string]>(
        "SELECT stream_id FROM streams WHERE call_id = ? AND ended_us = 0 ORDER BY stream_id",
      )
      .all(callId)
      .map((row) => row.stream_id);
  }

  /** Ids of every stream of a call. */
  streamIds(callId: string): number[] {
    return this.#db
      .query<{ stream_id: number }, [string]>(
        "SELECT stream_id FROM streams WHERE call_id = ? ORDER BY stream_id",
      )
      .all(callId)
      .map((row) => row.stream_id);
  }

  /** @throws SpoolError `SPOOL_UNKNOWN_CALL` if no such call is stored. */
  requireCall(callId: string): void {
    if (this.#db.query("SELECT 1 FROM calls WHERE call_id = ?").get(callId) === null)
      throw unknownCall(callId);
  }

  /** @throws SpoolError `SPOOL_UNKNOWN_CALL`, `SPOOL_WRITE`. */
  createStream(stream: Omit<StreamRecord, "streamId" | "endedUs">): StreamRecord {
    this.requireCall(stream.callId);
    const { lastInsertRowid } = guardWrite(`create stream of call ${stream.callId}`, () =>
      this.#db
        .query(
          `INSERT INTO streams (call_id, label, siprec_stream_id, participant_id, role, mline_index,
             codec, rate, payload_type, started_us, ended_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
        )
        .run(
          stream.callId,
          stream.label,
          stream.siprecStreamId,
          stream.participantId,
          stream.role,
          stream.mlineIndex,
          stream.codec,
          stream.rate,
          stream.payloadType,
          stream.startedUs,
        ),
    );
    return { ...stream, streamId: Number(lastInsertRowid), endedUs: 0 };
  }

  /** Stores the end time and the final idx of a stream. @throws SpoolError `SPOOL_WRITE`. */
  endStream(streamId: number, endedUs: number, lastIdx: number): void {
    guardWrite(`end stream ${streamId}`, () =>
      this.#db
        .query("UPDATE streams SET ended_us = ?, last_idx = MAX(last_idx, ?) WHERE stream_id = ?")
        .run(endedUs, lastIdx, streamId),
    );
  }

  /** @throws SpoolError `SPOOL_UNKNOWN_STREAM` if no such stream is stored. */
  requireStream(streamId: number): void {
    if (this.#db.query("SELECT 1 FROM streams WHERE stream_id = ?").get(streamId) === null) {
      throw new SpoolError("SPOOL_UNKNOWN_STREAM", `stream ${streamId} is not in the spool`);
    }
  }

  /** Streams of a call in m-line order. */
  listStreams(callId: string): StreamRecord[] {
    return this.#db
      .query<StreamRow, [string]>("SELECT * FROM streams WHERE call_id = ? ORDER BY mline_index, stream_id")
      .all(callId)
      .map(streamFromRow);
  }
}

function unknownCall(callId: string): SpoolError {
  return new SpoolError("SPOOL_UNKNOWN_CALL", `call ${callId} is not in the spool`);
}
