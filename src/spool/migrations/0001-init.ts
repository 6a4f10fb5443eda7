import type { Migration } from "./migration.ts";

/**
 * Schema version 1: calls, streams, frames, the events outbox and sink cursors (DESIGN.md §4).
 *
 * `streams.stream_id` and `events.event_seq` are `AUTOINCREMENT`: a plain `INTEGER PRIMARY KEY`
 * hands out ids again once the rows with the highest ids are deleted, and "delete up to the cursor"
 * then deletes new, unsent audio (DESIGN.md §4 pitfall).
 *
 * `frames` layout, measured with scripts/bench/spool-append.ts (2,000 streams × 50 frames/s of
 * 160-byte payloads, one commit of 10,000 frames every 100 ms, WAL, synchronous=NORMAL, 4 KiB pages,
 * Bun 1.4.5 on 2 vCPU / ext4): a rowid table (AUTOINCREMENT `frame_id`) plus `UNIQUE (stream_id, idx)`
 * costs ≈ 41 ms of CPU per commit, `PRIMARY KEY (stream_id, idx) WITHOUT ROWID` ≈ 90–95 ms (most of it
 * kernel time writing the WAL): each commit dirties a leaf page per stream in either layout, but the
 * clustered leaves hold whole 200-byte rows, so they fill and split far more often than leaves of
 * ~20-byte index entries. WITHOUT ROWID reads a 50-frame range from a cold file faster
 * (≈ 35–50 µs against ≈ 55–130 µs), but reads run at replay pace and appends at line rate, so frames use
 * the rowid layout. Rows are inserted stream by stream in each commit, so a stream's frames of one
 * commit sit side by side in the table. (The per-stream index is most of the cost: the same rows with
 * no index commit in ≈ 12 ms.)
 * `streams.last_idx` keeps a stream's highest idx once its frames may be purged, so idx numbering never
 * restarts (the same pitfall, one level down). `endStream` writes it; a purge that deletes the newest
 * frame of a live stream must write it first.
 */
export const migration0001: Migration = {
  version: 1,
  name: "init",
  sql: `
CREATE TABLE calls (
  call_id TEXT PRIMARY KEY,
  sip_call_id TEXT NOT NULL,
  siprec_session_id TEXT NOT NULL,
  correlation TEXT NOT NULL,
  source TEXT NOT NULL,
  started_us INTEGER NOT NULL,
  epoch_us INTEGER NOT NULL,
  ended_us INTEGER NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  metadata_xml TEXT NOT NULL,
  participants TEXT NOT NULL
);
CREATE INDEX calls_by_start ON calls (started_us);
CREATE INDEX calls_by_state ON calls (state);

CREATE TABLE streams (
  stream_id INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id TEXT NOT NULL,
  label TEXT NOT NULL,
  siprec_stream_id TEXT NOT NULL,
  participant_id TEXT NOT NULL,
  role TEXT NOT NULL,
  mline_index INTEGER NOT NULL,
  codec TEXT NOT NULL,
  rate INTEGER NOT NULL,
  payload_type INTEGER NOT NULL,
  started_us INTEGER NOT NULL,
  ended_us INTEGER NOT NULL,
  last_idx INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX streams_by_call ON streams (call_id, mline_index);
CREATE INDEX streams_live ON streams (ended_us);

CREATE TABLE frames (
  frame_id INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  gap_reason INTEGER NOT NULL,
  rtp_seq INTEGER NOT NULL,
  pos INTEGER NOT NULL,
  capture_us INTEGER NOT NULL,
  duration_samples INTEGER NOT NULL,
  payload BLOB NOT NULL,
  UNIQUE (stream_id, idx)
);

CREATE TABLE events (
  event_seq INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  call_id TEXT NOT NULL,
  time_us INTEGER NOT NULL,
  body TEXT NOT NULL
);

CREATE TABLE sink_cursors (
  call_id TEXT NOT NULL,
  sink TEXT NOT NULL,
  unit TEXT NOT NULL,
  session_id TEXT NOT NULL,
  acked_seq INTEGER NOT NULL,
  done INTEGER NOT NULL,
  PRIMARY KEY (call_id, sink, unit)
) WITHOUT ROWID;
`,
};
