import type { Database, Statement } from "bun:sqlite";
import type { Clock } from "../lib/index.ts";
import type { CallStore } from "./call-store.ts";
import { guardWrite } from "./errors.ts";
import type { FrameStore } from "./frame-store.ts";
import type { PurgeOptions } from "./spool-types.ts";

/** Ends a stream that is still open: commits its pending frames, stores its last idx, stops appends. */
export type EndOpenStream = (streamId: number, endedUs: number) => void;

/** Calls read per candidate query. */
const candidatesPerQuery = 64;
/** Frames deleted per statement (each its own short transaction, about 400 chunk rows): a few ms of work. */
const deleteBatchFrames = 2048;

/** What one {@link SpoolPurger.run} did (the spool adds `bytesFreed`). */
export interface PurgeProgress {
  callsPurged: number;
  purgedCallIds: string[];
  framesDeleted: number;
  more: boolean;
}

/**
 * Retention (DESIGN.md §4, `spool.retain`): deletes the frames of calls that are not live, ended more
 * than `retainMs` ago and are delivered, then their streams, cursors, chosen sinks and row (no tombstone: ids are
 * never reused, stream ids by AUTOINCREMENT, call ids are UUIDv7). Each stream's `last_idx` is
 * written before any of its frames is deleted, so idx numbering can never restart. Work is cut into
 * batches of {@link deleteBatchFrames} frames; a run stops when its time budget or frame limit is
 * spent and the next run resumes at the same call. Candidates are walked in (ended_us, call_id)
 * order from where the previous run stopped, so undelivered calls are not re-examined on every run;
 * at the end of the list the walk starts over.
 * @internal used by `SqliteSpool` only.
 */
export class SpoolPurger {
  readonly #db: Database;
  readonly #calls: CallStore;
  readonly #frames: FrameStore;
  readonly #clock: Clock;
  readonly #candidates: Statement<{ call_id: string; ended_us: number }, [number, number, string, number]>;
  /** The last call examined by the current walk: (ended_us, call_id). */
  #afterEndedUs = Number.MIN_SAFE_INTEGER;
  #afterCallId = "";

  constructor(db: Database, calls: CallStore, frames: FrameStore, clock: Clock) {
    this.#db = db;
    this.#calls = calls;
    this.#frames = frames;
    this.#clock = clock;
    this.#candidates = db.prepare(
      `SELECT call_id, ended_us FROM calls
        WHERE state != 'live' AND ended_us <= ?1 AND (ended_us, call_id) > (?2, ?3)
        ORDER BY ended_us, call_id LIMIT ?4`,
    );
  }

  /**
   * Purges what {@link PurgeOptions} allows, within its budget.
   * @throws SpoolError `SPOOL_WRITE` if SQLite refuses a delete.
   */
  run(options: PurgeOptions, endOpenStream: EndOpenStream): PurgeProgress {
    const deadline = this.#clock.now() + (options.budgetMs ?? 20);
    const progress: PurgeProgress = { callsPurged: 0, purgedCallIds: [], framesDeleted: 0, more: false };
    let framesLeft = options.limit ?? Number.POSITIVE_INFINITY;
    const cutoffUs = options.nowUs - options.retainMs * 1000;
    for (;;) {
      const page = this.#candidates.all(cutoffUs, this.#afterEndedUs, this.#afterCallId, candidatesPerQuery);
      if (page.length === 0) {
        this.#afterEndedUs = Number.MIN_SAFE_INTEGER;
        this.#afterCallId = "";
        return progress;
      }
      for (const { call_id: callId, ended_us: endedUs } of page) {
        if (options.isDelivered(callId) && this.#endOpenStreams(callId, endedUs, endOpenStream)) {
          const deleted = this.#purgeCall(callId, deadline, framesLeft);
          progress.framesDeleted += deleted.frames;
          framesLeft -= deleted.frames;
          if (!deleted.complete) {
            progress.more = true;
            return progress;
          }
          progress.callsPurged++;
          progress.purgedCallIds.push(callId);
        }
        this.#afterEndedUs = endedUs;
        this.#afterCallId = callId;
        if (framesLeft <= 0 || this.#clock.now() >= deadline) {
          progress.more = true;
          return progress;
        }
      }
    }
  }

  /** Finalizes the prepared statements (before the database closes). */
  finalize(): void {
    this.#candidates.finalize();
  }

  /**
   * Ends the streams of a call that are still open (a call ended without ending them). False when
   * one cannot be ended (its pending frames cannot be committed): the call is left for a later run,
   * since deleting a stream that still has frames to commit would leave them without a stream.
   */
  #endOpenStreams(callId: string, endedUs: number, endOpenStream: EndOpenStream): boolean {
    try {
      for (const streamId of this.#calls.openStreamIds(callId)) endOpenStream(streamId, endedUs);
      return true;
    } catch {
      return false;
    }
  }

  #purgeCall(callId: string, deadline: number, framesLeft: number): { frames: number; complete: boolean } {
    const table = this.#frames.table;
    guardWrite(`keep the last idx of the streams of call ${callId}`, () => table.keepLastIdx(callId));
    let frames = 0;
    for (const streamId of this.#calls.streamIds(callId)) {
      for (;;) {
        const want = Math.min(deleteBatchFrames, framesLeft - frames);
        if (want <= 0) return { frames, complete: false };
        const deleted = guardWrite(`purge frames of stream ${streamId}`, () =>
          table.deleteSome(streamId, want),
        );
        frames += deleted.frames;
        if (deleted.done) break;
        if (this.#clock.now() >= deadline) return { frames, complete: false };
      }
    }
    guardWrite(`purge call ${callId}`, () =>
      this.#db.transaction(() => {
        this.#db.query("DELETE FROM sink_cursors WHERE call_id = ?").run(callId);
        this.#db.query("DELETE FROM call_sinks WHERE call_id = ?").run(callId);
        this.#db.query("DELETE FROM call_routing WHERE call_id = ?").run(callId);
        this.#db.query("DELETE FROM streams WHERE call_id = ?").run(callId);
        this.#db.query("DELETE FROM calls WHERE call_id = ?").run(callId);
      })(),
    );
    return { frames, complete: true };
  }
}
