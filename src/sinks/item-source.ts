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
  /** The next item exists but its frames are not committed to the spool yet: try again shortly. */
  Uncommitted: 3,
  /** The next record is a replay and the replay pace does not allow it yet: try again when it does. */
  Paced: 4,
} as const;
/** @see Render */
export type Render = (typeof Render)[keyof typeof Render];

/** Result of {@link ItemOutput.reserveRecord} when the message is full. */
export const RESERVE_FULL = -1;
/** Result of {@link ItemOutput.reserveRecord} when the replay pace holds the record back. */
export const RESERVE_PACED = -2;

/** Where a source writes the items it renders: the unit's message being built. */
export interface ItemOutput {
  /** Shared buffer of the message being built (valid until the next {@link reserveRecord}). */
  readonly bytes: Uint8Array;
  /** DataView over {@link bytes}. */
  readonly view: DataView;
  /**
   * The REPLAY flag bit for the record just reserved: set when it was captured longer ago than the
   * sink's replay threshold (EASP.md §3), else 0.
   */
  readonly replayFlag: number;
  /**
   * Reserves `length` bytes for one binary record of `durationMs` audio captured at `captureUs`
   * (µs since the Unix epoch), deciding its REPLAY flag and applying the replay pace.
   * @returns the byte offset in {@link bytes} to write the record at, {@link RESERVE_FULL} when the
   *   message is full, or {@link RESERVE_PACED} when the pace holds a replay back.
   */
  reserveRecord(length: number, durationMs: number, captureUs: number): number;
  /**
   * 0 when the AUDIO record `seq` captured at `captureUs` (µs since the Unix epoch) goes out as
   * audio; else the GAP reason (PAUSED_RECEIVER, DECLINED) of the header-only GAP record the source
   * renders in its place, with the same seq, `pos`, `captureTime` and duration (EASP.md §3, §6).
   * Ask before {@link reserveRecord}; a withheld record reserves `durationMs` 0 (no audio in flight).
   */
  withheldReason(seq: number, captureUs: number): number;
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
  /** `seq` of the last item (`stream.end`) once every stream of the unit ended (or it was cut), else 0. */
  finalSeq(): number;
  /** Highest `seq` that could be rendered now. */
  lastAvailableSeq(): number;
  /**
   * Lowest `seq` from which every item can still be rendered: 1 unless frames of the session were
   * purged from the spool (EASP.md §5 `journal.firstRetainedSeq`).
   */
  firstRetainedSeq(): number;
  /** Whether the unit has something to deliver (first frame seen, or its streams ended): then it connects. */
  hasContent(): boolean;
  /** Whether more audio can still arrive live (a stream of the session has not ended and it was not cut). */
  isLive(): boolean;
  /** Audio from the item after `ackedSeq` to the newest available, ms (what the receiver still lacks). */
  backlogMs(ackedSeq: number): number;
  /**
   * Capture time of item `seq` (µs since the Unix epoch; a JSON item takes the time of the audio it
   * stands next to), or undefined when it does not exist yet. Decides whether a unit is behind.
   */
  captureUsOf(seq: number): number | undefined;
  /** Stream descriptions for `open` (EASP.md §4). */
  streamDescs(): StreamDesc[];
  /** Call epoch from the first frame (µs), when the call record does not have it yet; 0 if unknown. */
  epochHintUs(): number;
  /** Moves so that {@link next} renders `seq` (after `opened`). */
  seek(seq: number): void;
  /** Renders the next item into `out`. */
  next(out: ItemOutput): Render;
  /**
   * Where a continuation segment takes over: the live edge (next frame idx / next unreleased slot)
   * for a live-first cut, or the first retained frame / slot after an ack regression with loss.
   */
  liveEdge(): number;
  /** The first frame idx / slot whose items can still be rendered (see {@link firstRetainedSeq}). */
  firstRetainedIndex(): number;
  /** Where this session's timeline starts, samples since the call epoch (its `stream.start.firstPos`). */
  startPos(): number;
  /**
   * Ends the session at `cutAt` (a frame idx / slot, exclusive): its last item becomes
   * `stream.end{reason}`; `segment-cut` when later audio belongs to the next segment (live-first),
   * `stopped` when streaming to the sink was stopped (stopStream).
   */
  cut(cutAt: number, reason: StreamEndReason): void;
  /** A frame of one of the unit's streams was appended (hot path). */
  onFrame(frame: FrameRecord): void;
  /** One of the unit's streams ended; no frame of it follows. */
  onStreamEnded(stream: StreamRecord, reason: StreamEndReason): void;
  /** Stops timers (hold-back). */
  dispose(): void;
}
