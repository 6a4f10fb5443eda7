import type { Migration } from "./migration.ts";

/**
 * Schema version 4: per-call sink routing (DESIGN.md §5 "Which sinks a call gets"), written per call
 * and per command (routing decision, startStream, stopStream), never per frame.
 *
 * `call_routing` holds one row per call whose sinks were decided (a call routed to no sink has a row
 * here and none in `call_sinks`; a call without a row was never routed and gets every configured
 * sink, as spools written before this version). `call_sinks` holds each chosen sink: its per-call
 * overrides (JSON text, as the sinks wrote it), whether streaming to it is stopped, and where each
 * stop cut its sessions (`stop_cuts`, JSON object: cursor unit → first frame idx / 20 ms slot not
 * delivered). `position` keeps the order in which the sinks were chosen.
 */
export const migration0004: Migration = {
  version: 4,
  name: "call-sinks",
  sql: `
CREATE TABLE call_routing (
  call_id TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE call_sinks (
  call_id TEXT NOT NULL,
  sink TEXT NOT NULL,
  position INTEGER NOT NULL,
  overrides TEXT NOT NULL,
  stopped INTEGER NOT NULL,
  stop_cuts TEXT NOT NULL,
  PRIMARY KEY (call_id, sink)
) WITHOUT ROWID;
`,
};
