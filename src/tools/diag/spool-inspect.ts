import { constants, Database } from "bun:sqlite";
import { existsSync, statfsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { errorMessage } from "../../lib/index.ts";
import { DiagError } from "./errors.ts";

/**
 * How the spool was opened: `immutable` (no `-wal` beside it, so the daemon is not running: no
 * locks, no side files created) or `shared-read-only` (the daemon's `-wal`/`-shm` exist and are
 * read as a reader; nothing is written to the database or the WAL).
 */
export type SpoolOpenMode = "immutable" | "shared-read-only";

/** The spool's shape, read directly from its SQLite file without changing it. */
export interface SpoolStats {
  path: string;
  openMode: SpoolOpenMode;
  /** Why the open mode was chosen when it is not the obvious one. */
  note?: string;
  /** Size of the database file, bytes. */
  sizeBytes: number;
  /** Size of the `-wal` file, bytes; 0 when absent. */
  walBytes: number;
  /** Free space for unprivileged writers on the spool's file system, bytes. */
  freeDiskBytes?: number;
  pageSize?: number;
  pageCount?: number;
  freelistCount?: number;
  /** `PRAGMA user_version`: the spool's schema version. */
  schemaVersion?: number;
  /** Rows per table (every table of the file). */
  rows: Record<string, number | string>;
  /** Calls per state (`live`, `completed`, `recovered`). */
  callsByState?: Record<string, number>;
  /** The oldest call some sink has not finished delivering, with how many (call, sink unit) cursors are open. */
  oldestUndelivered?: { callId: string; startedAt: string; openCursors: number } | null;
  /** The oldest event still in the outbox (not yet acknowledged by the broker). */
  oldestOutboxEvent?: { name: string; time: string } | null;
  /** Queries that failed (an older or damaged schema), by item. */
  errors?: Record<string, string>;
}

/** Escapes a path for an SQLite `file:` URI. */
function fileUri(path: string, query: string): string {
  const escaped = path.replace(/%/g, "%25").replace(/\?/g, "%3f").replace(/#/g, "%23");
  return `file:${escaped}?${query}`;
}

/**
 * Opens the spool so that nothing on disk changes: with no `-wal` file, `immutable=1` (a plain
 * read-only open would create `-wal`/`-shm` files, owned by whoever runs the diagnostics, which
 * the daemon's user then cannot open); with both `-wal` and `-shm`, `mode=ro` as one more reader of
 * the running daemon's WAL; with a `-wal` but no `-shm` (left by a crash), `immutable=1` over the
 * main file only, noted.
 * @throws DiagError `DIAG_SPOOL` when the file is missing or not an SQLite database.
 */
export function openSpoolReadOnly(path: string): { db: Database; mode: SpoolOpenMode; note?: string } {
  if (!existsSync(path)) throw new DiagError("DIAG_SPOOL", `spool ${path} does not exist`);
  const wal = existsSync(`${path}-wal`);
  const shm = existsSync(`${path}-shm`);
  const flags = constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI;
  try {
    if (wal && shm) return { db: new Database(fileUri(path, "mode=ro"), flags), mode: "shared-read-only" };
    const db = new Database(fileUri(path, "immutable=1"), flags);
    return wal
      ? {
          db,
          mode: "immutable",
          note: "a -wal file without -shm: its frames (not yet checkpointed) are not read",
        }
      : { db, mode: "immutable" };
  } catch (err) {
    throw new DiagError("DIAG_SPOOL", `cannot open spool ${path} read-only: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Reads the spool's statistics (file and page sizes, freelist, rows per table, schema version,
 * calls by state, oldest undelivered call and outbox event) read-only, see {@link openSpoolReadOnly}.
 * Each query that fails is listed in `errors`; the rest are still returned.
 * @throws DiagError `DIAG_SPOOL` when the file cannot be opened.
 */
export function readSpoolStats(path: string): SpoolStats {
  const { db, mode, note } = openSpoolReadOnly(path);
  const errors: Record<string, string> = {};
  const attempt = <T>(item: string, read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      errors[item] = errorMessage(err);
      return undefined;
    }
  };
  const pragma = (name: string): number | undefined =>
    attempt(name, () => Number(Object.values(db.query(`PRAGMA ${name}`).get() as object)[0]));
  try {
    const stats: SpoolStats = {
      path,
      openMode: mode,
      ...(note ? { note } : {}),
      sizeBytes: fileSize(path),
      walBytes: fileSize(`${path}-wal`),
      rows: {},
    };
    const fs = attempt("freeDisk", () => statfsSync(dirname(path)));
    if (fs) stats.freeDiskBytes = fs.bavail * fs.bsize;
    const [pageSize, pageCount, freelistCount, schemaVersion] = [
      pragma("page_size"),
      pragma("page_count"),
      pragma("freelist_count"),
      pragma("user_version"),
    ];
    Object.assign(stats, { pageSize, pageCount, freelistCount, schemaVersion });
    const tables =
      attempt("tables", () =>
        db
          .query<{ name: string }, []>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
          )
          .all()
          .map((t) => t.name),
      ) ?? [];
    for (const table of tables) {
      const quoted = `"${table.replace(/"/g, '""')}"`;
      stats.rows[table] =
        attempt(
          `rows.${table}`,
          () => (db.query(`SELECT count(*) AS n FROM ${quoted}`).get() as { n: number }).n,
        ) ?? "error";
    }
    const byState = attempt("callsByState", () =>
      db
        .query<{ state: string; n: number }, []>("SELECT state, count(*) AS n FROM calls GROUP BY state")
        .all(),
    );
    if (byState) stats.callsByState = Object.fromEntries(byState.map((r) => [r.state, r.n]));
    const oldest = attempt("oldestUndelivered", () =>
      db
        .query<{ call_id: string; started_us: number; open: number }, []>(
          `SELECT c.call_id, c.started_us, (SELECT count(*) FROM sink_cursors WHERE done = 0) AS open
           FROM calls c WHERE c.call_id IN (SELECT call_id FROM sink_cursors WHERE done = 0)
           ORDER BY c.started_us LIMIT 1`,
        )
        .get(),
    );
    if (oldest !== undefined) {
      stats.oldestUndelivered = oldest
        ? { callId: oldest.call_id, startedAt: isoFromUs(oldest.started_us), openCursors: oldest.open }
        : null;
    }
    const event = attempt("oldestOutboxEvent", () =>
      db
        .query<{ name: string; time_us: number }, []>(
          "SELECT name, time_us FROM events ORDER BY event_seq LIMIT 1",
        )
        .get(),
    );
    if (event !== undefined)
      stats.oldestOutboxEvent = event ? { name: event.name, time: isoFromUs(event.time_us) } : null;
    if (Object.keys(errors).length > 0) stats.errors = errors;
    return stats;
  } finally {
    db.close();
  }
}

function isoFromUs(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}

/**
 * Runs `PRAGMA integrity_check` on the spool, read-only (see {@link openSpoolReadOnly}). It cannot
 * be interrupted and takes minutes on a large spool: run it in a child process with a timeout.
 * @returns the check's lines; `["ok"]` for a sound file.
 * @throws DiagError `DIAG_SPOOL` when the file cannot be opened or the check cannot run.
 */
export function checkSpoolIntegrity(path: string): string[] {
  const { db } = openSpoolReadOnly(path);
  try {
    return db
      .query<{ integrity_check: string }, []>("PRAGMA integrity_check")
      .all()
      .map((r) => r.integrity_check);
  } catch (err) {
    throw new DiagError("DIAG_SPOOL", `integrity_check on ${path} failed: ${errorMessage(err)}`, {
      cause: err,
    });
  } finally {
    db.close();
  }
}
