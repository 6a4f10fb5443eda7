import type { StreamDesc } from "../easp/index.ts";
import type { FrameRecord, StreamRecord } from "../spool/index.ts";
import type { StreamEndReason } from "./sink-types.ts";

/** Outcome of {@link ItemSource.next}. */
export const Render = {
  /** One item was written; `nextSeq` advanced. */
  Ready: 0,
  /** The next item does not exist yet (or the window of the stream is not decided yet). */
  NotReady: 1,
  /** The record does not fit into the current message: flush it and call again. */
  Full: 2,
} as const;
/** @see Render */
export type Render = (typeof Render)[keyof typeof Render];

/** Where a source writes the items it renders: the unit's message being built. */
export interface ItemOutput {
  /** Shared buffer of the message being built (valid until the next {@link reserveRecord}). */
  readonly bytes: Uint8Array;
  /** DataView over {@link bytes}. */
  readonly view: DataView;
  /** Wall clock at the start of this pump, µs since the Unix epoch (for the REPLAY flag). */
  readonly nowUs: number;
  /**
   * Reserves `length` bytes for one binary record of `durationMs` audio.
   * @returns the byte offset in {@link bytes} to write the record at, or -1 when the message is full.
   */
  reserveRecord(length: number, durationMs: number): number;
  /** Sends a durable JSON item (the binary records before it go first, in seq order). */
  text(json: string): void;
}

/**
 * The durable items of one EASP session, numbered deterministically so that `(sessionId, seq)`
 * denotes the same item whether rendered live or re-read from the spool (EASP.md §1).
 */
export interface ItemSource {
  /** `seq` of the item {@link next} renders. */
  readonly nextSeq: number;
  /** `seq` of the last item (`stream.end`) once every stream of the unit ended, else 0. */
  finalSeq(): number;
  /** Highest `seq` that could be rendered now. */
  lastAvailableSeq(): number;
  /** Whether the unit has something to deliver (first frame seen, or its streams ended): then it connects. */
  hasContent(): boolean;
  /** Stream descriptions for `open` (EASP.md §4). */
  streamDescs(): StreamDesc[];
  /** Call epoch from the first frame (µs), when the call record does not have it yet; 0 if unknown. */
  epochHintUs(): number;
  /** Moves so that {@link next} renders `seq` (after `opened`). */
  seek(seq: number): void;
  /** Renders the next item into `out`. */
  next(out: ItemOutput): Render;
  /** A frame of one of the unit's streams was appended (hot path). */
  onFrame(frame: FrameRecord): void;
  /** One of the unit's streams ended; no frame of it follows. */
  onStreamEnded(stream: StreamRecord, reason: StreamEndReason): void;
  /** Stops timers (hold-back). */
  dispose(): void;
}
