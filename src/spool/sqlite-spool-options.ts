import type { Clock, Logger } from "../lib/index.ts";

/** Options of `openSqliteSpool` (config `spool.*`). */
export interface SqliteSpoolOptions {
  /** Database file (`spool.path`); its folder is created if missing. `":memory:"` for tests. */
  path: string;
  /** Group-commit interval, ms (`spool.commit_interval_ms`). @default 100 */
  commitIntervalMs?: number;
  /** `normal` survives a process crash, `full` also a power cut (`spool.synchronous`). @default "normal" */
  synchronous?: "normal" | "full";
  /** How long a write waits for a lock held by another connection (a tool), ms. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * Cap of the database (`spool.max_bytes`), bytes: enforced with `PRAGMA max_page_count` and, before
   * that, by the spool's own accounting (audio becomes DISCARDED gaps at the cap less a small reserve).
   * Keep it well below the filesystem's free space: a truly full disk makes even deletes fail.
   * @default 20e9
   */
  maxBytes?: number;
  /** Free disk space to keep on the spool's filesystem (`spool.min_free_disk`), bytes. @default 2e9 */
  minFreeDisk?: number;
  /** High-water mark as a fraction of `maxBytes` (new calls are refused above it). @default 0.9 */
  highWaterRatio?: number;
  /**
   * Frames that may wait for a commit (while commits fail; ≈ 10 s of 1,000 streams); beyond, new
   * audio is stored as DISCARDED gaps and new frames are held as runs, so memory stays bounded.
   * @default 500000
   */
  maxPendingFrames?: number;
  /** Free disk is measured (statfs) at most this often, ms. @default 1000 */
  freeDiskIntervalMs?: number;
  /**
   * Where WAL checkpoints run: `worker` (a worker thread with its own connection, asked after
   * commits at most every 500 ms, so the main thread only appends to the WAL) or `inline` (SQLite's
   * automatic checkpoint inside the commits that cross 1,000 WAL pages). In-memory spools have none.
   * @default "worker"
   */
  checkpoint?: "worker" | "inline";
  /** Drives the group-commit timer, the free-disk checks and the purge budget. @default systemClock */
  clock?: Clock;
  /** Where commit failures, full transitions and migrations are logged. @default silentLogger */
  logger?: Logger;
}

/**
 * Checks the bounds of {@link SqliteSpoolOptions}.
 * @throws RangeError when a bound is negative or not a number, or `highWaterRatio` is not in (0, 1].
 */
export function checkSpoolOptions(options: SqliteSpoolOptions): void {
  for (const key of ["maxBytes", "minFreeDisk", "maxPendingFrames", "freeDiskIntervalMs"] as const) {
    const value = options[key];
    if (value !== undefined && !(value >= 0)) throw new RangeError(`${key} must be ≥ 0, got ${value}`);
  }
  const ratio = options.highWaterRatio;
  if (ratio !== undefined && !(ratio > 0 && ratio <= 1)) {
    throw new RangeError(`highWaterRatio must be in (0, 1], got ${ratio}`);
  }
}
