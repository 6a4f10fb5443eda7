import type { Migration } from "./migration.ts";

/**
 * Schema version 2: an index on when calls ended, for retention (`spool.retain`): the purge walks the
 * calls that ended before the cutoff in (ended_us, call_id) order without scanning and sorting the
 * whole table on every run.
 */
export const migration0002: Migration = {
  version: 2,
  name: "calls-by-end",
  sql: "CREATE INDEX calls_by_end ON calls (ended_us, call_id);",
};
