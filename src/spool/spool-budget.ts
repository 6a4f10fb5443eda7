import { statfsSync } from "node:fs";
import type { Clock } from "../lib/index.ts";
import type { SpoolLevel } from "./spool-types.ts";

/** Limits of a {@link SpoolBudget}, from `SqliteSpoolOptions`. */
export interface BudgetLimits {
  /** `spool.max_bytes`. */
  maxBytes: number;
  /** `spool.min_free_disk`. */
  minFreeDisk: number;
  /** High-water mark as a fraction of `maxBytes`. */
  highWaterRatio: number;
  /** Frames that may wait for a commit; beyond, new audio is discarded. */
  maxPendingFrames: number;
  /** Database page size, bytes. */
  pageSize: number;
  /** How often free disk is measured at most, ms. */
  freeDiskIntervalMs: number;
}

/**
 * Estimated bytes one stored frame takes besides its payload: the row (ids, positions, times) and its
 * entry in the `(stream_id, idx)` index. Measured ≈ 80 bytes with 4 KiB pages; rounded up so the
 * estimate errs towards "full" early.
 */
export const frameOverheadBytes = 96;

/** Largest reserve kept between the accounting cap and `max_page_count`, bytes. */
const maxReserveBytes = 256 * 1024 * 1024;
/** After a commit failed with SQLITE_FULL, audio is tried again after this long at the latest, ms. */
const fullRetryMs = 30_000;

/**
 * The spool's own accounting of its bounds (DESIGN.md §4): used bytes (measured after each commit and
 * purge) plus an estimate of pending frames against `maxBytes` less a reserve, and the filesystem's
 * free space (statfs, at most every `freeDiskIntervalMs`). It decides, before SQLite would say
 * SQLITE_FULL, whether new audio is stored or discarded. The reserve (2 % of `maxBytes`, at least 8
 * pages, at most 256 MiB) keeps room under `PRAGMA max_page_count` for DISCARDED gaps, calls and
 * events once audio stops being stored.
 * @internal used by `SqliteSpool` and `FrameStore` only.
 */
export class SpoolBudget {
  readonly #limits: BudgetLimits;
  readonly #clock: Clock;
  /** Folder whose filesystem is measured; undefined for an in-memory database. */
  readonly #dir: string | undefined;
  /** Audio is discarded once used + pending bytes reach this. */
  readonly #capBytes: number;
  readonly #highWaterBytes: number;
  /** Used pages of the database after the last commit or purge, bytes. */
  #usedBytes = 0;
  /** Estimated bytes of the frames waiting for the next commit. */
  #pendingBytes = 0;
  #freeDisk = Number.MAX_SAFE_INTEGER;
  #freeDiskAt = Number.NEGATIVE_INFINITY;
  /** When a commit last failed with SQLITE_FULL (clock ms), with the used bytes and free disk then. */
  #fullFailure: { at: number; usedBytes: number; freeDisk: number } | undefined;
  /** The decision the hot path reads: audio is discarded while true. */
  #full = false;

  constructor(limits: BudgetLimits, dir: string | undefined, clock: Clock) {
    this.#limits = limits;
    this.#dir = dir;
    this.#clock = clock;
    const reserve = Math.min(maxReserveBytes, Math.max(limits.maxBytes * 0.02, 8 * limits.pageSize));
    this.#capBytes = limits.maxBytes - reserve;
    this.#highWaterBytes = limits.maxBytes * limits.highWaterRatio;
    this.refreshFreeDisk(true);
  }

  /** `PRAGMA max_page_count` for `maxBytes`. */
  get maxPageCount(): number {
    return Math.max(1, Math.floor(this.#limits.maxBytes / this.#limits.pageSize));
  }

  /** Frames that may wait for a commit before new frames are kept as runs and audio is discarded. */
  get maxPendingFrames(): number {
    return this.#limits.maxPendingFrames;
  }

  /** Whether nothing more can be stored (audio is discarded). */
  get full(): boolean {
    return this.#full;
  }

  /**
   * Hot path: accounts an AUDIO frame about to be queued and says whether its payload may be kept.
   * False when full, when `pendingFrames` reached the pending cap, or when this frame would reach
   * the cap (the spool becomes full).
   */
  admitAudio(payloadBytes: number, pendingFrames: number): boolean {
    const bytes = payloadBytes + frameOverheadBytes;
    if (this.#full || pendingFrames >= this.#limits.maxPendingFrames) {
      this.#pendingBytes += frameOverheadBytes;
      return false;
    }
    if (this.#usedBytes + this.#pendingBytes + bytes >= this.#capBytes) {
      this.#full = true;
      this.#pendingBytes += frameOverheadBytes;
      return false;
    }
    this.#pendingBytes += bytes;
    return true;
  }

  /** Hot path: accounts a frame without payload (a gap) about to be queued. */
  addGap(): void {
    this.#pendingBytes += frameOverheadBytes;
  }

  /** The database's used pages were measured (after a commit, a purge, or for a level), bytes. */
  setUsed(usedBytes: number): void {
    this.#usedBytes = usedBytes;
    this.#update();
  }

  /** What waits for the next commit changed outside appends (a commit, or audio turned into gaps). */
  setPending(pendingFrames: number, pendingPayloadBytes: number): void {
    this.#pendingBytes = pendingFrames * frameOverheadBytes + pendingPayloadBytes;
    this.#update();
  }

  /** A commit failed with SQLITE_FULL (cap or disk): full until space is freed, free disk grows, or a while passed. */
  commitFull(): void {
    this.#fullFailure = { at: this.#clock.now(), usedBytes: this.#usedBytes, freeDisk: this.#freeDisk };
    this.#full = true;
  }

  /** Measures free disk if the last measurement is older than `freeDiskIntervalMs` (or `force`). */
  refreshFreeDisk(force = false): void {
    if (this.#dir === undefined) return;
    const now = this.#clock.now();
    if (!force && now - this.#freeDiskAt < this.#limits.freeDiskIntervalMs) return;
    this.#freeDiskAt = now;
    try {
      const fs = statfsSync(this.#dir);
      this.#freeDisk = fs.bavail * fs.bsize;
    } catch {
      // The folder vanished or statfs failed: keep the last figure; SQLite reports a real failure.
    }
    this.#update();
  }

  /** The current level (see {@link SpoolLevel}). */
  level(): SpoolLevel {
    this.refreshFreeDisk();
    this.#update();
    const bytes = this.#usedBytes + this.#pendingBytes;
    const { maxBytes, minFreeDisk } = this.#limits;
    return {
      bytes,
      maxBytes,
      freeDiskBytes: this.#freeDisk,
      minFreeDisk,
      highWater: bytes >= this.#highWaterBytes || this.#freeDisk < minFreeDisk || this.#full,
      full: this.#full,
    };
  }

  #update(): void {
    const failure = this.#fullFailure;
    if (failure !== undefined) {
      const margin = Math.max(16 * this.#limits.pageSize, this.#limits.maxBytes / 100);
      if (
        this.#usedBytes < failure.usedBytes - margin ||
        this.#freeDisk > failure.freeDisk + margin ||
        this.#clock.now() - failure.at >= fullRetryMs
      ) {
        this.#fullFailure = undefined;
      }
    }
    this.#full =
      this.#fullFailure !== undefined ||
      this.#usedBytes + this.#pendingBytes >= this.#capBytes ||
      this.#freeDisk < this.#limits.minFreeDisk / 2;
  }
}
