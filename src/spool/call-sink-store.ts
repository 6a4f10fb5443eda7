import type { Database } from "bun:sqlite";
import type { CallStore } from "./call-store.ts";
import { guardWrite } from "./errors.ts";
import type { CallSinkInput, CallSinkRow } from "./spool-types.ts";

/** A `call_sinks` row as SQLite returns it. */
interface CallSinkDbRow {
  call_id: string;
  sink: string;
  position: number;
  overrides: string;
  stopped: number;
  stop_cuts: string;
}

/**
 * The `call_routing` and `call_sinks` tables: which sinks each call was routed to, with their
 * per-call overrides, stop state and stop cuts. Written per call and per command, never per frame.
 * @internal used by `SqliteSpool` only.
 */
export class CallSinkStore {
  readonly #db: Database;
  readonly #calls: CallStore;

  constructor(db: Database, calls: CallStore) {
    this.#db = db;
    this.#calls = calls;
  }

  /** @throws SpoolError `SPOOL_UNKNOWN_CALL`, `SPOOL_WRITE`. */
  set(callId: string, rows: readonly CallSinkInput[]): void {
    this.#calls.requireCall(callId);
    guardWrite(`store the sinks of call ${callId}`, () =>
      this.#db.transaction(() => {
        this.#markRouted(callId);
        this.#db.query("DELETE FROM call_sinks WHERE call_id = ?").run(callId);
        rows.forEach((row, position) => {
          this.#insert({ ...row, callId }, position);
        });
      })(),
    );
  }

  /** @throws SpoolError `SPOOL_UNKNOWN_CALL`, `SPOOL_WRITE`. */
  upsert(row: CallSinkRow): void {
    this.#calls.requireCall(row.callId);
    guardWrite(`store sink ${row.sink} of call ${row.callId}`, () =>
      this.#db.transaction(() => {
        this.#markRouted(row.callId);
        const next = this.#db
          .query<{ next: number }, [string]>(
            "SELECT COALESCE(MAX(position) + 1, 0) AS next FROM call_sinks WHERE call_id = ?",
          )
          .get(row.callId);
        this.#insert(row, next?.next ?? 0);
      })(),
    );
  }

  list(callId: string): CallSinkRow[] | undefined {
    const routed = this.#db.query("SELECT 1 FROM call_routing WHERE call_id = ?").get(callId);
    if (routed === null) return undefined;
    return this.#db
      .query<CallSinkDbRow, [string]>("SELECT * FROM call_sinks WHERE call_id = ? ORDER BY position")
      .all(callId)
      .map((row) => ({
        callId: row.call_id,
        sink: row.sink,
        overrides: row.overrides,
        stopped: row.stopped !== 0,
        stopCuts: JSON.parse(row.stop_cuts) as Record<string, number>,
      }));
  }

  #markRouted(callId: string): void {
    this.#db.query("INSERT OR IGNORE INTO call_routing (call_id) VALUES (?)").run(callId);
  }

  /** Inserts a row, or replaces its fields but keeps its position when the sink is already chosen. */
  #insert(row: CallSinkRow, position: number): void {
    this.#db
      .query(
        `INSERT INTO call_sinks (call_id, sink, position, overrides, stopped, stop_cuts)
           VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (call_id, sink) DO UPDATE SET overrides = excluded.overrides,
           stopped = excluded.stopped, stop_cuts = excluded.stop_cuts`,
      )
      .run(row.callId, row.sink, position, row.overrides, row.stopped ? 1 : 0, JSON.stringify(row.stopCuts));
  }
}
