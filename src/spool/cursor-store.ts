import type { Database } from "bun:sqlite";
import { guardWrite } from "./errors.ts";
import { type CursorRow, cursorFromRow } from "./rows.ts";
import type { CursorFilter, SinkCursor } from "./spool-types.ts";

/**
 * The `sink_cursors` table: one cumulative acknowledgement cursor per (call, sink, unit), written at
 * once (on acks and at the end of a unit).
 * @internal used by `SqliteSpool` only.
 */
export class CursorStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get(callId: string, sink: string, unit: string): SinkCursor | undefined {
    const row = this.#db
      .query<CursorRow, [string, string, string]>(
        "SELECT * FROM sink_cursors WHERE call_id = ? AND sink = ? AND unit = ?",
      )
      .get(callId, sink, unit);
    return row === null ? undefined : cursorFromRow(row);
  }

  /** @throws SpoolError `SPOOL_WRITE`. */
  save(cursor: SinkCursor): void {
    guardWrite(`save cursor ${cursor.sink}/${cursor.unit} of call ${cursor.callId}`, () =>
      this.#db
        .query(
          `INSERT INTO sink_cursors (call_id, sink, unit, session_id, acked_seq, done)
             VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (call_id, sink, unit) DO UPDATE SET session_id = excluded.session_id,
             acked_seq = excluded.acked_seq, done = excluded.done`,
        )
        .run(cursor.callId, cursor.sink, cursor.unit, cursor.sessionId, cursor.ackedSeq, cursor.done ? 1 : 0),
    );
  }

  /** Cursors matching `filter`, by call, sink and unit. */
  list(filter: CursorFilter): SinkCursor[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.callId !== undefined) {
      where.push("call_id = ?");
      params.push(filter.callId);
    }
    if (filter.sink !== undefined) {
      where.push("sink = ?");
      params.push(filter.sink);
    }
    if (filter.done !== undefined) {
      where.push("done = ?");
      params.push(filter.done ? 1 : 0);
    }
    const sql = `SELECT * FROM sink_cursors ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY call_id, sink, unit`;
    return this.#db
      .query<CursorRow, (string | number)[]>(sql)
      .all(...params)
      .map(cursorFromRow);
  }
}
