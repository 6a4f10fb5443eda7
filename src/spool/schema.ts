import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { errorMessage, type Logger } from "../lib/index.ts";
import { SpoolError } from "./errors.ts";
import { type Migration, migrations } from "./migrations/index.ts";

/** Connection settings applied on every open (they are per connection, not stored in the file). */
export interface ConnectionSettings {
  /** `PRAGMA synchronous`: `normal` survives a process crash, `full` also a power cut (DESIGN.md §4). */
  synchronous: "normal" | "full";
  /** `PRAGMA busy_timeout`, ms: how long a write waits for another connection's lock. */
  busyTimeoutMs: number;
}

/**
 * `PRAGMA journal_size_limit`, bytes: when the WAL starts over after a complete checkpoint, a WAL
 * file that grew past this (a burst the checkpoints could not keep up with) is cut back to it.
 */
const walSizeLimitBytes = 64 * 1024 * 1024;

/** Highest schema version this build knows (`PRAGMA user_version` after migrating). */
export const schemaVersion: number = migrations.at(-1)?.version ?? 0;

/**
 * Opens (creating the parent folder and the file if needed) and migrates the spool database:
 * WAL journal (its file cut back to 64 MiB after a reset), the given synchronous mode and busy
 * timeout, schema at {@link schemaVersion}.
 * @throws SpoolError `SPOOL_OPEN` with the path and SQLite's message when any step fails.
 */
export function openSpoolDatabase(path: string, settings: ConnectionSettings, logger: Logger): Database {
  let db: Database | undefined;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { create: true, readwrite: true, strict: true });
    db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(settings.busyTimeoutMs))}`);
    db.run("PRAGMA journal_mode = WAL");
    db.run(`PRAGMA synchronous = ${settings.synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.run(`PRAGMA journal_size_limit = ${walSizeLimitBytes}`);
    migrate(db, migrations, logger);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof SpoolError) throw err;
    throw new SpoolError("SPOOL_OPEN", `cannot open spool ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Brings the schema to the last of `steps`, each step in its own transaction together with the new
 * `PRAGMA user_version`.
 * @throws SpoolError `SPOOL_OPEN` when the file's schema is newer than this build.
 */
export function migrate(db: Database, steps: readonly Migration[], logger: Logger): void {
  const current = userVersion(db);
  const latest = steps.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new SpoolError(
      "SPOOL_OPEN",
      `spool ${db.filename} has schema version ${current}, newer than this build's ${latest}`,
    );
  }
  for (const step of steps) {
    if (step.version <= current) continue;
    db.transaction(() => {
      db.run(step.sql);
      db.run(`PRAGMA user_version = ${step.version}`);
    }).immediate();
    logger.info("spool schema migrated", { version: step.version, migration: step.name });
  }
}

/** The schema version stored in the file (`PRAGMA user_version`). */
export function userVersion(db: Database): number {
  const row = db.query<{ user_version: number }, []>("PRAGMA user_version").get();
  return row?.user_version ?? 0;
}
