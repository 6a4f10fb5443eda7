import { type Clock, errorMessage, type Logger } from "../lib/index.ts";
import type { Checkpointer } from "./checkpointer.ts";
import { sqliteCodeOf } from "./errors.ts";
import type { FrameStore } from "./frame-store.ts";
import type { SpoolBudget } from "./spool-budget.ts";

/** What a {@link GroupCommit} works with. */
export interface GroupCommitParts {
  frames: FrameStore;
  budget: SpoolBudget;
  /** Used pages of the database now, bytes. */
  measureUsed: () => number;
  /** Where checkpoints run, if on a worker. */
  checkpointer: Checkpointer | undefined;
  /** Runs `wal_checkpoint(RESTART)` on the main connection (when the worker cannot keep the WAL small). */
  restartWal: () => void;
  /** Size of the WAL file, bytes. */
  walFileBytes: () => number;
  clock: Clock;
  logger: Logger;
}

/** A commit failure is logged at most this often while it persists, ms. */
const failureLogIntervalMs = 10_000;
/** The checkpoint worker is asked at most this often, ms. */
const checkpointIntervalMs = 500;
/**
 * WAL file size (twice `journal_size_limit`) above which the main thread resets the WAL itself: the
 * WAL has not started over for that long, because the commits come faster than the worker's checkpoints.
 */
const inlineRestartWalBytes = 128 * 1024 * 1024;

/**
 * The group commit of pending frames (DESIGN.md §4) with its bookkeeping: counters, failure logging
 * (rate-limited, with the SQLite code), the SQLITE_FULL fallback (audio becomes DISCARDED gaps, which
 * are committed instead), the budget's used bytes after each commit, checkpoint requests, and the
 * log lines of the `full` transitions.
 * @internal used by `SqliteSpool` only.
 */
export class GroupCommit {
  readonly #p: GroupCommitParts;
  #commits = 0;
  #framesCommitted = 0;
  #commitErrors = 0;
  /** Commit failures since the last successful commit. */
  #failureStreak = 0;
  /** When the last commit failure was logged (clock ms). */
  #failureLoggedAt = Number.NEGATIVE_INFINITY;
  /** When a checkpoint was last asked for (clock ms). */
  #checkpointAskedAt = Number.NEGATIVE_INFINITY;
  /** `full` as last logged. */
  #fullLogged = false;

  constructor(parts: GroupCommitParts) {
    this.#p = parts;
  }

  /** Group commits that wrote frames. */
  get commits(): number {
    return this.#commits;
  }

  /** Frames committed. */
  get framesCommitted(): number {
    return this.#framesCommitted;
  }

  /** Commits that failed (also those whose frames were then stored as DISCARDED gaps). */
  get commitErrors(): number {
    return this.#commitErrors;
  }

  /**
   * Commits the pending frames. When SQLite says the database or disk is full, their audio becomes
   * DISCARDED gaps (counted, logged) and those are committed instead.
   * @throws the SQLite error when the commit fails otherwise; the frames stay pending.
   */
  commit(): void {
    const { frames, budget } = this.#p;
    let committed: number;
    try {
      committed = frames.commit();
    } catch (err) {
      if (sqliteCodeOf(err) !== "SQLITE_FULL") throw err;
      this.#commitErrors++;
      budget.setUsed(this.#p.measureUsed());
      budget.commitFull();
      const turned = frames.discardPending();
      budget.setPending(frames.pendingCount, frames.pendingPayloadBytes);
      if (turned > 0) {
        this.#p.logger.error("spool full: pending audio stored as DISCARDED gaps", {
          code: "SPOOL_FULL",
          framesDiscarded: turned,
        });
      }
      committed = frames.commit();
    }
    if (committed === 0) return;
    this.#commits++;
    this.#framesCommitted += committed;
    budget.setPending(0, 0);
    budget.setUsed(this.#p.measureUsed());
    this.#askCheckpoint();
    if (this.#failureStreak > 0) {
      this.#p.logger.info("spool commits recovered", { failedCommits: this.#failureStreak });
      this.#failureStreak = 0;
      this.#failureLoggedAt = Number.NEGATIVE_INFINITY;
    }
  }

  /** Counts a failed commit and logs it (at most every 10 s while failures go on). */
  failed(err: unknown): void {
    this.#commitErrors++;
    this.#failureStreak++;
    const now = this.#p.clock.now();
    if (now - this.#failureLoggedAt < failureLogIntervalMs) return;
    this.#failureLoggedAt = now;
    this.#p.logger.error("spool commit failed; frames kept pending and retried", {
      code: sqliteCodeOf(err) || "UNKNOWN",
      error: errorMessage(err),
      framesPending: this.#p.frames.pendingCount,
      failedCommits: this.#failureStreak,
    });
  }

  /** The timer's work: measures free disk when due, commits what is pending (never throws), logs `full` changes. */
  tick(): void {
    this.#p.budget.refreshFreeDisk();
    if (this.#p.frames.pendingCount > 0) {
      try {
        this.commit();
      } catch (err) {
        this.failed(err);
      }
    }
    this.logFullTransition();
  }

  /** Logs when the spool became full (error, code SPOOL_FULL) or stopped being full (info). */
  logFullTransition(): void {
    const full = this.#p.budget.full;
    if (full === this.#fullLogged) return;
    this.#fullLogged = full;
    const level = this.#p.budget.level();
    const fields = {
      code: "SPOOL_FULL",
      bytes: level.bytes,
      maxBytes: level.maxBytes,
      freeDiskBytes: level.freeDiskBytes,
    };
    if (full) this.#p.logger.error("spool full: new audio is stored as DISCARDED gaps", fields);
    else this.#p.logger.info("spool no longer full: audio is stored again", fields);
  }

  #askCheckpoint(): void {
    const checkpointer = this.#p.checkpointer;
    if (checkpointer === undefined) return;
    if (checkpointer.walTooLarge || this.#p.walFileBytes() > inlineRestartWalBytes) {
      try {
        this.#p.restartWal();
        checkpointer.restarted();
      } catch (err) {
        this.#p.logger.warn("spool WAL reset failed", {
          code: sqliteCodeOf(err) || "UNKNOWN",
          error: errorMessage(err),
        });
      }
    }
    const now = this.#p.clock.now();
    if (now - this.#checkpointAskedAt < checkpointIntervalMs) return;
    this.#checkpointAskedAt = now;
    checkpointer.request();
  }
}
