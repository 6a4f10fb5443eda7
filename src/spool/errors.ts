import { errorMessage, SrsError } from "../lib/index.ts";

/**
 * Stable codes of {@link SpoolError}:
 * - `SPOOL_OPEN`: the database could not be opened, created or migrated (path, permissions, corrupt
 *   file, schema newer than this build).
 * - `SPOOL_UNKNOWN_CALL` / `SPOOL_UNKNOWN_STREAM`: the id was never stored.
 * - `SPOOL_STREAM_ENDED`: a frame was appended to a stream after `endStream`.
 * - `SPOOL_WRITE`: SQLite refused a write (disk full, I/O error, lock timeout, constraint); nothing
 *   of that write was stored, and pending frames stay pending.
 */
export type SpoolErrorCode =
  | "SPOOL_OPEN"
  | "SPOOL_UNKNOWN_CALL"
  | "SPOOL_UNKNOWN_STREAM"
  | "SPOOL_STREAM_ENDED"
  | "SPOOL_WRITE";

/** A failure of the spool (DESIGN.md §4), with a stable `code` and, when SQLite failed, its error code. */
export class SpoolError extends SrsError {
  /** Stable identifier of the failure. */
  readonly code: SpoolErrorCode;
  /** SQLite's extended error name (e.g. `SQLITE_FULL`, `SQLITE_IOERR_WRITE`, `SQLITE_BUSY`), or empty. */
  readonly sqliteCode: string;

  constructor(code: SpoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.sqliteCode = sqliteCodeOf(options?.cause);
  }
}

/** Returns the SQLite error name carried by a `bun:sqlite` error (`SQLITE_FULL`, …), or empty. */
export function sqliteCodeOf(err: unknown): string {
  if (err && typeof err === "object" && "code" in err && typeof err.code === "string") return err.code;
  return "";
}

/**
 * Runs one SQLite write and turns any failure into a {@link SpoolError} `SPOOL_WRITE` that says what
 * was being written (`what`, e.g. "create call <id>") and keeps the SQLite error as `cause`.
 */
export function guardWrite<T>(what: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    if (err instanceof SpoolError) throw err;
    throw new SpoolError("SPOOL_WRITE", `cannot ${what}: ${errorMessage(err)}`, { cause: err });
  }
}
