import type { Database, Statement } from "bun:sqlite";
import { statSync } from "node:fs";
import { dirname } from "node:path";
import {
  type Clock,
  errorMessage,
  InvalidStateError,
  type Logger,
  silentLogger,
  systemClock,
  type TimerHandle,
} from "../lib/index.ts";
import { CallSinkStore } from "./call-sink-store.ts";
import { CallStore } from "./call-store.ts";
import { Checkpointer } from "./checkpointer.ts";
import { CursorStore } from "./cursor-store.ts";
import { SpoolError, sqliteCodeOf } from "./errors.ts";
import { EventOutbox } from "./event-outbox.ts";
import { FrameStore } from "./frame-store.ts";
import { GroupCommit } from "./group-commit.ts";
import { SpoolPurger } from "./purge.ts";
import { closeCrashedCalls } from "./recovery.ts";
import { type CallRow, callFromRow } from "./rows.ts";
import { openSpoolDatabase } from "./schema.ts";
import { SpoolBudget } from "./spool-budget.ts";
import type {
  CallRecord,
  CallSinkInput,
  CallSinkRow,
  CallState,
  CursorFilter,
  FrameInput,
  FrameRecord,
  ListCallsOptions,
  OutboxEvent,
  OutboxEventInput,
  PurgeOptions,
  PurgeResult,
  SinkCursor,
  Spool,
  SpoolLevel,
  SpoolStats,
  StreamFrameTotals,
  StreamRecord,
} from "./spool-types.ts";
import { checkSpoolOptions, type SqliteSpoolOptions } from "./sqlite-spool-options.ts";

/** SQLite's default `wal_autocheckpoint`, pages: back in force when the checkpoint worker fails. */
const inlineCheckpointPages = 1000;

/**
 * Opens the durable spool (DESIGN.md §4): creates the parent folder, opens SQLite in WAL mode, runs
 * the schema migrations, sets `max_page_count` from `maxBytes` and starts the group-commit timer.
 * @throws SpoolError `SPOOL_OPEN` (message names the path and SQLite's reason) when it cannot open.
 * @throws RangeError when a bound is not a positive number (or `highWaterRatio` not in (0, 1]).
 */
export function openSqliteSpool(options: SqliteSpoolOptions): SqliteSpool {
  checkSpoolOptions(options);
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
 * to memory and group-committed every `commitIntervalMs` in one transaction; each call's chosen sinks
 * (per-call routing); the MQTT events outbox;
 * bounds, retention and crash recovery. A failed commit (I/O error, lock) keeps its frames pending,
 * is logged with the SQLite code, counted in `stats().commitErrors` and retried at the next interval;
 * one that failed with SQLITE_FULL (also counted) turns its audio into DISCARDED gaps and commits those.
 */
export class SqliteSpool implements Spool {
  /** Database file path, as given. */
  readonly path: string;
  readonly #db: Database;
  readonly #calls: CallStore;
  readonly #cursors: CursorStore;
  readonly #callSinks: CallSinkStore;
  readonly #frames: FrameStore;
  readonly #outbox: EventOutbox;
  readonly #budget: SpoolBudget;
  readonly #purger: SpoolPurger;
  readonly #usedBytes: Statement<{ bytes: number }, []>;
  readonly #checkpointer: Checkpointer | undefined;
  readonly #groupCommit: GroupCommit;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #timer: TimerHandle;
  readonly #liveAtOpen: CallRecord[];
  #closed = false;

  /** @internal Use {@link openSqliteSpool}. */
  constructor(db: Database, options: SqliteSpoolOptions) {
    this.path = options.path;
    this.#db = db;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    const pageSize = db.query<{ page_size: number }, []>("PRAGMA page_size").get()?.page_size ?? 4096;
    this.#budget = new SpoolBudget(
      {
        maxBytes: options.maxBytes ?? 20e9,
        minFreeDisk: options.minFreeDisk ?? 2e9,
        highWaterRatio: options.highWaterRatio ?? 0.9,
        maxPendingFrames: options.maxPendingFrames ?? 500_000,
        freeDiskIntervalMs: options.freeDiskIntervalMs ?? 1000,
        pageSize,
      },
      options.path === ":memory:" ? undefined : dirname(options.path),
      this.#clock,
    );
    db.run(`PRAGMA max_page_count = ${this.#budget.maxPageCount}`);
    this.#usedBytes = db.prepare(
      `SELECT (page_count - freelist_count) * page_size AS bytes
         FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()`,
    );
    this.#calls = new CallStore(db);
    this.#cursors = new CursorStore(db);
    this.#callSinks = new CallSinkStore(db, this.#calls);
    this.#frames = new FrameStore(db, this.#budget);
    this.#outbox = new EventOutbox(db);
    this.#purger = new SpoolPurger(db, this.#calls, this.#frames, this.#clock);
    this.#budget.setUsed(this.#measureUsed());
    this.#liveAtOpen = this.#db
      .query<CallRow, []>("SELECT * FROM calls WHERE state = 'live' ORDER BY started_us, call_id")
      .all()
      .map(callFromRow);
    if (options.path !== ":memory:" && (options.checkpoint ?? "worker") === "worker") {
      this.#checkpointer = this.#startCheckpointer(options.synchronous ?? "normal");
    }
    this.#groupCommit = new GroupCommit({
      frames: this.#frames,
      budget: this.#budget,
      measureUsed: () => this.#measureUsed(),
      checkpointer: this.#checkpointer,
      restartWal: () => this.#db.run("PRAGMA wal_checkpoint(RESTART)"),
      walFileBytes: () => fileSize(`${this.path}-wal`),
      clock: this.#clock,
      logger: this.#logger,
    });
    this.#timer = this.#clock.setInterval(() => {
      if (!this.#closed) this.#groupCommit.tick();
    }, options.commitIntervalMs ?? 100);
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

  listCalls(options: ListCallsOptions = {}): CallRecord[] {
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
    return this.#cursors.get(callId, sink, unit);
  }

  saveCursor(cursor: SinkCursor): void {
    this.#assertOpen();
    this.#cursors.save(cursor);
  }

  listCursors(filter: CursorFilter = {}): SinkCursor[] {
    this.#assertOpen();
    return this.#cursors.list(filter);
  }

  setCallSinks(callId: string, rows: readonly CallSinkInput[]): void {
    this.#assertOpen();
    this.#callSinks.set(callId, rows);
  }

  upsertCallSink(row: CallSinkRow): void {
    this.#assertOpen();
    this.#callSinks.upsert(row);
  }

  listCallSinks(callId: string): CallSinkRow[] | undefined {
    this.#assertOpen();
    return this.#callSinks.list(callId);
  }

  listLiveCallsAtOpen(): CallRecord[] {
    return this.#liveAtOpen.map((call) => structuredClone(call));
  }

  recoverLiveCalls(endedUs: number): CallRecord[] {
    this.#assertOpen();
    const callIds = this.#liveAtOpen
      .map((call) => call.callId)
      .filter((callId) => this.#calls.getCall(callId)?.state === "live");
    if (callIds.length === 0) return [];
    if (this.#frames.pendingCount > 0) this.flush();
    return closeCrashedCalls(this.#db, this.#calls, this.#frames, callIds, endedUs);
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

  outboxDepth(): number {
    this.#assertOpen();
    return this.#outbox.depth;
  }

  level(): SpoolLevel {
    this.#assertOpen();
    this.#budget.setUsed(this.#measureUsed());
    return this.#budget.level();
  }

  purge(options: PurgeOptions): PurgeResult {
    this.#assertOpen();
    const before = this.#measureUsed();
    const progress = this.#purger.run(options, (streamId, endedUs) => this.endStream(streamId, endedUs));
    const after = this.#measureUsed();
    this.#budget.setUsed(after);
    this.#groupCommit.logFullTransition();
    return { ...progress, bytesFreed: Math.max(0, before - after) };
  }

  /**
   * Commits every pending frame now, in one transaction.
   * @throws SpoolError `SPOOL_WRITE` (with `sqliteCode`) if the commit fails; the frames stay pending
   * and the timer retries them.
   */
  flush(): void {
    this.#assertOpen();
    try {
      this.#groupCommit.commit();
    } catch (err) {
      this.#groupCommit.failed(err);
      throw new SpoolError("SPOOL_WRITE", `spool commit failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  stats(): SpoolStats {
    return {
      bytes: this.#closed ? 0 : this.#bytesOnDisk(),
      framesAppended: this.#frames.appendedCount,
      framesCommitted: this.#groupCommit.framesCommitted,
      framesPending: this.#frames.pendingCount,
      commits: this.#groupCommit.commits,
      commitErrors: this.#groupCommit.commitErrors,
      framesDiscarded: this.#frames.discardedCount,
    };
  }

  /** Commits what is pending, stops the timer, truncates the WAL and closes the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#clock.clearTimer(this.#timer);
    this.#checkpointer?.stop();
    try {
      this.#groupCommit.commit();
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
    this.#purger.finalize();
    this.#usedBytes.finalize();
    this.#db.close(false);
  }

  /** Starts the checkpoint worker and turns the automatic checkpoint off; undefined if no worker can start. */
  #startCheckpointer(synchronous: "normal" | "full"): Checkpointer | undefined {
    const inline = () => {
      if (!this.#closed) this.#db.run(`PRAGMA wal_autocheckpoint = ${inlineCheckpointPages}`);
    };
    try {
      const checkpointer = new Checkpointer(this.path, synchronous, this.#clock, this.#logger, inline);
      this.#db.run("PRAGMA wal_autocheckpoint = 0");
      return checkpointer;
    } catch (err) {
      this.#logger.warn("no checkpoint worker; checkpoints run inside commits", { error: errorMessage(err) });
      return undefined;
    }
  }

  #measureUsed(): number {
    return this.#usedBytes.get()?.bytes ?? 0;
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
