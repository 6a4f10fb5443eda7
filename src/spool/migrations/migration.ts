/** One schema step: SQL run once, in a transaction, when `PRAGMA user_version` is below `version`. */
export interface Migration {
  /** Schema version after this step (1, 2, 3…; `PRAGMA user_version`). */
  version: number;
  /** Short name for logs. */
  name: string;
  /** The DDL/DML to run. Kept as a string in a `.ts` module so `bun build --compile` embeds it. */
  sql: string;
}
