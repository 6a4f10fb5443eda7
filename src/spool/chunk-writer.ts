/**
 * How a group commit writes a stream's frames as `chunks` rows (schema 3): one row of frames per
 * stream per commit, or runs of uniform payload-less gaps that grow in place.
 * @module
 */

import { FrameKind } from "../lib/index.ts";
import { continuesRun, encodeFrames, encodeRun, isRunnable } from "./chunk-codec.ts";
import type { ChunkTable } from "./chunk-table.ts";
import type { PendingRun } from "./pending-run.ts";
import type { FrameInput } from "./spool-types.ts";

/** The last committed chunk of a stream when it is a run of payload-less gaps that may still grow. */
export interface OpenRun {
  /** Row id of the run chunk. */
  readonly chunkId: number;
  /** Its last frame (the next one must continue it). */
  readonly last: FrameInput;
  /** Capture time step between its frames, µs. */
  readonly stepUs: number;
}

/** In-memory state of a stream that may still receive frames (created here, or not ended at open). */
export interface LiveStream {
  /** The stream. */
  readonly streamId: number;
  /** Highest idx committed to SQLite. */
  committedIdx: number;
  /** Frames appended since the last commit; `pending[i]` has idx `committedIdx + 1 + i`. */
  readonly pending: FrameInput[];
  /**
   * Frames appended after `pending` once `maxPendingFrames` were waiting (payload-less gaps by then),
   * as runs; they follow `pending` in idx order.
   */
  overflow: PendingRun[];
  /** Frames in `overflow`. */
  overflowFrames: number;
  /** Whether the stream is in the dirty list of the next commit. */
  dirty: boolean;
  /** The run the next gaps may extend, if the last chunk is one. */
  run: OpenRun | undefined;
}

/**
 * Writes a stream's pending frames, then its overflow runs (each grows the open run when it
 * continues it, else becomes a run chunk).
 * @returns the stream's open run after this commit.
 */
export function writeStreamChunks(table: ChunkTable, stream: LiveStream): OpenRun | undefined {
  let run = stream.pending.length > 0 ? writePending(table, stream) : stream.run;
  let idx = stream.committedIdx + stream.pending.length + 1;
  for (const r of stream.overflow) {
    const lastIdx = idx + r.count - 1;
    const last = r.frameAt(r.count - 1, stream.streamId, lastIdx);
    if (
      run !== undefined &&
      (r.count === 1 || r.stepUs === run.stepUs) &&
      continuesRun(run.last, r.first, run.stepUs)
    ) {
      table.extendRun(run.chunkId, lastIdx);
      run = { chunkId: run.chunkId, last, stepUs: run.stepUs };
    } else {
      const chunkId = table.insert(stream.streamId, idx, lastIdx, 0, 0, encodeRun(r.first, r.stepUs));
      run = r.count >= 2 ? { chunkId, last, stepUs: r.stepUs } : undefined;
    }
    idx = lastIdx + 1;
  }
  return run;
}

/**
 * Writes a stream's pending frames (at least one): those that continue its open run grow it; the
 * rest become a new run chunk when they are all uniform payload-less gaps (two or more), else one
 * chunk of frames.
 * @returns the stream's open run after them.
 */
function writePending(table: ChunkTable, stream: LiveStream): OpenRun | undefined {
  const pending = stream.pending;
  const base = stream.committedIdx + 1;
  let i = 0;
  let run = stream.run;
  if (run !== undefined) {
    let last = run.last;
    while (i < pending.length && continuesRun(last, pending[i]!, run.stepUs)) last = pending[i++]!;
    if (i > 0) {
      table.extendRun(run.chunkId, base + i - 1);
      run = { chunkId: run.chunkId, last, stepUs: run.stepUs };
    }
    if (i === pending.length) return run;
  }
  const first = pending[i]!;
  const lastIdx = base + pending.length - 1;
  if (pending.length - i >= 2 && isRunnable(first)) {
    const stepUs = pending[i + 1]!.captureUs - first.captureUs;
    let j = i + 1;
    while (j < pending.length && continuesRun(pending[j - 1]!, pending[j]!, stepUs)) j++;
    if (j === pending.length) {
      const chunkId = table.insert(stream.streamId, base + i, lastIdx, 0, 0, encodeRun(first, stepUs));
      return { chunkId, last: pending[j - 1]!, stepUs };
    }
  }
  let audio = 0;
  let bytes = 0;
  for (let k = i; k < pending.length; k++) {
    const f = pending[k]!;
    if (f.kind === FrameKind.Audio) audio++;
    bytes += f.payload.byteLength;
  }
  table.insert(stream.streamId, base + i, lastIdx, audio, bytes, encodeFrames(pending, i, pending.length));
  return undefined;
}
