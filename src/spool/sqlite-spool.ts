import type { Database } from "bun:sqlite";
import { statSync } from "node:fs";
import {
  type Clock,
  errorMessage,
  InvalidStateError,
  type Logger,
  silentLogger,
  systemClock,
  type TimerHandle,
} from "../lib/index.ts";
import { CallStore } from "./call-store.ts";
import { guardWrite, SpoolError, sqliteCodeOf } from "./errors.ts";
import { EventOutbox } from "./event-outbox.ts";
import { FrameStore } from "./frame-store.ts";
import { type CallRow, type CursorRow, callFromRow, cursorFromRow } from "./rows.ts";
import { openSpoolDatabase } from "./schema.ts";
import type {
  CallRecord,
  CallState,
  FrameInput,
  FrameRecord,
  OutboxEvent,
  OutboxEventInput,
  SinkCursor,
  Spool,
  SpoolStats,
  StreamFrameTotals,
  StreamRecord,
} from "./spool-types.ts";

/** Options of {@link openSqliteSpool}. */
export interface SqliteSpoolOptions {
  /** Database file (`spool.path`); its folder is created if missing. `":memory:"` for tests. */
  path: string;
  /** Group-commit interval, ms (`spool.commit_interval_ms`). @default 100 */
  commitIntervalMs?: number;
  /** `normal` survives a process crash, `full` also a power cut (`spool.synchronous`). @default "normal" */
  synchronous?: "normal" | "full";
  /** How long a write waits for a lock held by another connection (a tool), ms. @default 5000 */
  busyTimeoutMs?: number;
  /** Drives the group-commit timer. @default systemClock */
  clock?: Clock;
  /** Where commit failures and migrations are logged. @default silentLogger */
  logger?: Logger;
}

/** A commit failure is logged at most this often while it persists, ms. */
const failureLogIntervalMs = 10_000;

/**
 * Opens the durable spool (DESIGN.md §4): creates the parent folder, opens SQLite in WAL mode, runs
 * the schema migrations and starts the group-commit timer.
 * @throws SpoolError `SPOOL_OPEN` (message names the path and SQLite's reason) when it cannot open.
 */
export function openSqliteSpool(options: SqliteSpoolOptions): SqliteSpool {
  const logger = (options.logger ?? silentLogger).child({ component: "spool" });
  const db = openSpoolDatabase(
    options.path,
    { synchronous: options.synchronous ?? "normal", busyTimeoutMs: options.busyTimeoutMs ?? 5000 },
    logger,
  );
  return new SqliteSpool(db, { ...options, logger });
}

/**
 * The {@link Spool} on `bun:sqlite`: calls, streams and sink cursors written at once; frames appended
 * to memory and group-committed every `commitIntervalMs` in one transaction; the MQTT events outbox.
 * A failed commit (disk full, I/O error) keeps its frames pending, is logged with the SQLite code,
 * counted in `stats().commitErrors` and retried at the next interval.
 */
export class SqliteSpool implements Spool {
  /** Database file path, as given. */
  readonly path: string;
  readonly #db: Database;
  readonly #calls: CallStore;
  readonly #frames: FrameStore;
  readonly #outbox: EventOutbox;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #timer: TimerHandle;
  readonly #liveAtOpen: CallRecord[];
  #closed = false;
  #commits = 0;
  #framesCommitted = 0;
  #commitErrors = 0;
  /** Commit failures since the last successful commit. */
  #failureStreak = 0;
  /** When the last commit failure was logged (clock ms). */
  #failureLoggedAt = Number.NEGATIVE_INFINITY;

  /** @internal Use {@link openSqliteSpool}. */
  constructor(db: Database, options: SqliteSpoolOptions) {
    this.path = options.path;
    this.#db = db;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#calls = new CallStore(db);
    this.#frames = new FrameStore(db);
    this.#outbox = new EventOutbox(db);
    this.#liveAtOpen = this.#db
      .query<CallRow, []>("SELECT * FROM calls WHERE state = 'live' ORDER BY started_us, call_id")
      .all()
      .map(callFromRow);
    this.#timer = this.#clock.setInterval(this.#onCommitTimer, options.commitIntervalMs ?? 100);
  }

  createCall(call: CallRecord): void {
    this.#assertOpen();
    this.#calls.createCall(call);
  }

  updateCall(callId: string, patch: Partial<Omit<CallRecord, "callId">>): void {
    this.#assertOpen();
    this.#calls.updateCall(callId, patch);
  }

  endCall(callId: string, state: Exclude<CallState, "live">, reason: string, endedUs: number): void {
    this.flush();
    this.#calls.endCall(callId, state, reason, endedUs);
  }

  getCall(callId: string): CallRecord | undefined {
    this.#assertOpen();
    return this.#calls.getCall(callId);
  }

  listCalls(options: { limit?: number; state?: CallState } = {}): CallRecord[] {
    this.#assertOpen();
    return this.#calls.listCalls(options);
  }

  createStream(stream: Omit<StreamRecord, "streamId" | "endedUs">): StreamRecord {
    this.#assertOpen();
    const created = this.#calls.createStream(stream);
    this.#frames.track(created.streamId, 0);
    return created;
  }

  endStream(streamId: number, endedUs: number): void {
    this.flush();
    if (!this.#frames.isLive(streamId)) {
      this.#calls.requireStream(streamId);
      return;
    }
    this.#calls.endStream(streamId, endedUs, this.#frames.lastIdx(streamId));
    this.#frames.retire(streamId);
  }

  listStreams(callId: string): StreamRecord[] {
    this.#assertOpen();
    return this.#calls.listStreams(callId);
  }

  appendFrame(streamId: number, frame: FrameInput): number {
    if (this.#closed) throw closedError();
    return this.#frames.append(streamId, frame);
  }

  readFrames(streamId: number, fromIdx: number, limit: number): FrameRecord[] {
    this.#assertOpen();
    return this.#frames.read(streamId, fromIdx, limit);
  }

  lastIdx(streamId: number): number {
    this.#assertOpen();
    return this.#frames.lastIdx(streamId);
  }

  committedIdx(streamId: number): number {
    this.#assertOpen();
    return this.#frames.committedIdx(streamId);
  }

  countFrames(streamId: number): number {
    this.#assertOpen();
    return this.#frames.count(streamId);
  }

  frameTotals(callId: string): StreamFrameTotals[] {
    this.#assertOpen();
    return this.#frames.totals(callId);
  }

  getCursor(callId: string, sink: string, unit: string): SinkCursor | undefined {
    this.#assertOpen();
    const row = this.#db
      .query<CursorRow, [string, string, string]>(
        "SELECT * FROM sink_cursors WHERE call_id = ? AND sink = ? AND unit = ?",
      )
      .get(callId, sink, unit);
    return row === null ? undefined : cursorFromRow(row);
  }

  saveCursor(cursor: SinkCursor): void {
    this.#assertOpen();
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

  listLiveCallsAtOpen(): CallRecord[] {
    return this.#liveAtOpen.map((call) => structuredClone(call));
  }

  appendEvent(event: OutboxEventInput): number {
    this.#assertOpen();
    return this.#outbox.append(event);
  }

  pendingEvents(limit: number): OutboxEvent[] {
    this.#assertOpen();
    return this.#outbox.pending(limit);
  }

  ackEvent(eventSeq: number): void {
    this.#assertOpen();
    this.#outbox.ack(eventSeq);
  }

  /**
   * Commits every pending frame now, in one transaction.
   * @throws SpoolError `SPOOL_WRITE` (with `sqliteCode`) if the commit fails; the frames stay pending
   * and the timer retries them.
   */
  flush(): void {
    this.#assertOpen();
    try {
      this.#commitPending();
    } catch (err) {
      this.#commitFailed(err);
      throw new SpoolError("SPOOL_WRITE", `spool commit failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  stats(): SpoolStats {
    return {
      bytes: this.#closed ? 0 : this.#bytesOnDisk(),
      framesAppended: this.#frames.appendedCount,
      framesCommitted: this.#framesCommitted,
      framesPending: this.#frames.pendingCount,
      commits: this.#commits,
      commitErrors: this.#commitErrors,
    };
  }

  /** Commits what is pending, stops the timer, truncates the WAL and closes the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#clock.clearTimer(this.#timer);
    try {
      this.#commitPending();
    } catch (err) {
      this.#logger.error("spool closed with uncommitted frames", {
        code: sqliteCodeOf(err),
        error: errorMessage(err),
        framesLost: this.#frames.pendingCount,
      });
    }
    this.#closed = true;
    try {
      this.#db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (err) {
      this.#logger.warn("spool checkpoint at close failed", {
        code: sqliteCodeOf(err),
        error: errorMessage(err),
      });
    }
    this.#frames.finalize();
    this.#db.close(false);
  }

  readonly #onCommitTimer = (): void => {
    if (this.#closed || this.#frames.pendingCount === 0) return;
    try {
      this.#commitPending();
    } catch (err) {
      this.#commitFailed(err);
    }
  };

  #commitPending(): void {
    const committed = this.#frames.commit();
    if (committed === 0) return;
    this.#commits++;
    this.#framesCommitted += committed;
    if (this.#failureStreak > 0) {
      this.#logger.info("spool commits recovered", { failedCommits: this.#failureStreak });
      this.#failureStreak = 0;
      this.#failureLoggedAt = Number.NEGATIVE_INFINITY;
    }
  }

  #commitFailed(err: unknown): void {
    this.#commitErrors++;
    this.#failureStreak++;
    const now = this.#clock.now();
    if (now - this.#failureLoggedAt < failureLogIntervalMs) return;
    this.#failureLoggedAt = now;
    this.#logger.error("spool commit failed; frames kept pending and retried", {
      code: sqliteCodeOf(err) || "UNKNOWN",
      error: errorMessage(err),
      framesPending: this.#frames.pendingCount,
      failedCommits: this.#failureStreak,
    });
  }

  #bytesOnDisk(): number {
    if (this.path === ":memory:") {
      const row = this.#db
        .query<{ bytes: number }, []>(
          "SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()",
        )
        .get();
      return row?.bytes ?? 0;
    }
    return fileSize(this.path) + fileSize(`${this.path}-wal`);
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

function fileSize(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
}

function closedError(): InvalidStateError {
  return new InvalidStateError("spool is closed");
}
