import type { Database } from "bun:sqlite";
import { guardWrite } from "./errors.ts";
import type { OutboxEvent, OutboxEventInput } from "./spool-types.ts";

/**
 * The `events` table: events wait here until the MQTT broker acknowledges them (QoS 1 PUBACK), so an
 * outage or a restart loses none (DESIGN.md §6, §8). `event_seq` is AUTOINCREMENT: never reused, also
 * after every event was acknowledged and deleted.
 * @internal used by `SqliteSpool` only.
 */
export class EventOutbox {
  readonly #db: Database;
  /** Events stored and not acknowledged (counted once at open, then kept up to date). */
  #depth: number;

  constructor(db: Database) {
    this.#db = db;
    this.#depth = db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM events").get()?.n ?? 0;
  }

  /** Events stored and not yet acknowledged. */
  get depth(): number {
    return this.#depth;
  }

  /**
   * Stores an event (committed at once) and returns its `eventSeq`.
   * @throws SpoolError `SPOOL_WRITE`.
   */
  append(event: OutboxEventInput): number {
    const { lastInsertRowid } = guardWrite(`store event ${event.name}`, () =>
      this.#db
        .query("INSERT INTO events (name, call_id, time_us, body) VALUES (?, ?, ?, ?)")
        .run(event.name, event.callId, event.time, event.body),
    );
    this.#depth++;
    return Number(lastInsertRowid);
  }

  /** Unacknowledged events, oldest first, at most `limit`. */
  pending(limit: number): OutboxEvent[] {
    return this.#db
      .query<OutboxEvent, [number]>(
        `SELECT event_seq AS eventSeq, name, call_id AS callId, time_us AS time, body
           FROM events ORDER BY event_seq LIMIT ?`,
      )
      .all(Math.max(0, limit));
  }

  /**
   * Deletes an acknowledged event; an unknown or already deleted seq is ignored.
   * @throws SpoolError `SPOOL_WRITE`.
   */
  ack(eventSeq: number): void {
    const { changes } = guardWrite(`ack event ${eventSeq}`, () =>
      this.#db.query("DELETE FROM events WHERE event_seq = ?").run(eventSeq),
    );
    this.#depth -= changes;
  }
}
