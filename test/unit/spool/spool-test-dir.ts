import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { createLogger } from "../../../src/lib/index.ts";
import { openSqliteSpool, type SqliteSpool, type SqliteSpoolOptions } from "../../../src/spool/index.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";

/** A spool file in a fresh temp folder per test, opened with a manual clock; closed and removed after. */
export interface SpoolTestDir {
  /** Database path of the current test. */
  readonly path: string;
  /** The clock every spool of the test uses. */
  readonly clock: ManualClock;
  /** Log lines (JSON) written by the spools of the current test. */
  readonly lines: string[];
  /** Opens (another) spool on the test's file. */
  open(options?: Partial<SqliteSpoolOptions>): SqliteSpool;
  /** Forgets a spool without closing it (as a crash would). */
  abandon(spool: SqliteSpool): void;
}

/** Registers beforeEach/afterEach hooks that give every test its own spool folder. */
export function useSpoolTestDir(): SpoolTestDir {
  let dir = "";
  const opened: SqliteSpool[] = [];
  const state = {
    path: "",
    clock: new ManualClock(),
    lines: [] as string[],
    open(options: Partial<SqliteSpoolOptions> = {}): SqliteSpool {
      const logger = createLogger({ level: "debug", write: (line) => state.lines.push(line) });
      const spool = openSqliteSpool({ path: state.path, clock: state.clock, logger, ...options });
      opened.push(spool);
      return spool;
    },
    abandon(spool: SqliteSpool): void {
      opened.splice(opened.indexOf(spool), 1);
    },
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "spool-unit-"));
    state.path = join(dir, "spool.db");
    state.clock = new ManualClock();
    state.lines = [];
  });
  afterEach(() => {
    for (const spool of opened.splice(0)) spool.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return state;
}

/** Rows in the spool's `chunks` table (one per stream per commit, or per run), read through a second connection. */
export function chunkRows(path: string): number {
  const db = new Database(path, { readonly: true });
  const n = db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM chunks").get()?.n ?? 0;
  db.close();
  return n;
}
