import type { Migration } from "./migration.ts";

/**
 * Schema version 3: frames are stored as chunks, one row per stream per group commit, holding that
 * commit's consecutive frames of the stream (`data`, see `chunk-codec.ts`), or a run of DISCARDED
 * gaps that grows in place while the spool is full.
 *
 * Measured with scripts/bench/spool-append.ts (2,000 streams, one commit of 10,000 frames every
 * 100 ms, paced in real time, 2 vCPU, Bun 1.4.5): one row per frame took 60 ms per commit (p50) after
 * 10 s and 89 ms after 30 s on the main thread; one row per stream per commit, with the WAL
 * checkpoints on a worker thread (`checkpointer.ts`), 12–14 ms and 19 ms, and the file is ~7 % smaller.
 * What is left grows with the table: each commit still dirties one leaf of the `(stream_id, last_idx)`
 * index per stream (~2,000 pages, 8 MB of WAL, once the index is larger than a few commits).
 * `UNIQUE (stream_id, last_idx)` finds the chunk that covers an idx with one index seek
 * (`last_idx >= idx`, chunks of a stream never overlap).
 * `chunk_id` is a row id only, never a position: positions are (stream_id, idx), which never restart
 * (`streams.last_idx`, DESIGN.md §4 pitfall).
 *
 * The `frames` table of version 1 stays and is still read (a spool written by the first release is
 * served and purged as it is; converting gigabytes at upgrade would delay the start for minutes);
 * nothing new is written to it.
 */
export const migration0003: Migration = {
  version: 3,
  name: "chunks",
  sql: `
CREATE TABLE chunks (
  chunk_id INTEGER PRIMARY KEY,
  stream_id INTEGER NOT NULL,
  first_idx INTEGER NOT NULL,
  last_idx INTEGER NOT NULL,
  audio_frames INTEGER NOT NULL,
  payload_bytes INTEGER NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (stream_id, last_idx)
);
`,
};
