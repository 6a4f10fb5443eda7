import type { FrameRecord, Spool } from "../spool/index.ts";
import { type CommitGate, STRICT_COMMIT_GATE } from "./commit-gate.ts";

/** Frames read from the spool per query when a unit is behind (~10 s of 20 ms frames). */
const SPOOL_BATCH = 512;
/** Frames a reader keeps from the live feed before it leaves the rest to the spool (~5 s of 20 ms frames). */
const LIVE_BUFFER_LIMIT = 256;

/**
 * The frames of one stream, in `idx` order, as a unit consumes them. While the unit keeps up,
 * frames handed over by the live feed ({@link offer}) are buffered by reference and no spool read
 * happens; when it falls behind (disconnected, window full) the buffer stops growing and the
 * missing frames are read back from the spool in batches until it has caught up again.
 *
 * Only frames the spool has **committed** are handed out: a frame sent before its group commit
 * could be lost by a crash and the same `seq` would then denote another item after the restart
 * (EASP.md §1: seq is assigned when the item is on disk). Live audio therefore leaves at most one
 * commit interval (`spool.commit_interval_ms`, 100 ms) after capture; {@link blocked} tells a
 * caller that the next frame exists but waits for its commit. The {@link CommitGate} lets frames
 * through anyway when the spool has stopped committing.
 */
export class FrameReader {
  /** Stream read. */
  readonly streamId: number;
  readonly #spool: Spool;
  /** Buffered frames; the next one to consume is `#frames[#head]`. */
  #frames: FrameRecord[] = [];
  #head = 0;
  /** `idx` of the next frame to consume. */
  #nextIdx = 1;
  /** Highest `idx` known to exist in the spool. */
  #knownLast = 0;
  /** Highest `idx` known to be committed. */
  #committed = 0;
  /** The frame {@link at} last refused because it is not committed yet, else undefined. */
  blocked: FrameRecord | undefined;

  readonly #gate: CommitGate;

  constructor(spool: Spool, streamId: number, gate: CommitGate = STRICT_COMMIT_GATE) {
    this.#spool = spool;
    this.streamId = streamId;
    this.#gate = gate;
  }

  /** Highest frame `idx` known to exist. */
  get knownLast(): number {
    return this.#knownLast;
  }

  /** `idx` of the next frame {@link peek} returns. */
  get nextIdx(): number {
    return this.#nextIdx;
  }

  /** Takes a frame from the live feed (hot path): buffered when it is the next one and the buffer has room. */
  offer(frame: FrameRecord): void {
    if (frame.idx > this.#knownLast) this.#knownLast = frame.idx;
    const buffered = this.#frames.length - this.#head;
    if (frame.idx === this.#tailIdx() + 1 && buffered < LIVE_BUFFER_LIMIT) this.#frames.push(frame);
  }

  /** The next frame, or undefined if none exists yet. */
  peek(): FrameRecord | undefined {
    return this.at(0);
  }

  /**
   * The `i`-th frame from the next one (0 = {@link peek}), reading the spool if needed; undefined
   * when it does not exist or is not committed yet (then {@link blocked} holds it).
   */
  at(i: number): FrameRecord | undefined {
    if (this.#head + i >= this.#frames.length) this.#fill(i);
    const frame = this.#frames[this.#head + i];
    this.blocked = undefined;
    if (frame === undefined || frame.idx <= this.#committed) return frame;
    this.#committed = this.#spool.committedIdx(this.streamId);
    if (frame.idx <= this.#committed || this.#gate.admits(frame)) return frame;
    this.blocked = frame;
    return undefined;
  }

  /** Consumes the next frame. */
  advance(): void {
    const frame = this.#frames[this.#head];
    if (!frame) return;
    this.#head += 1;
    this.#nextIdx = frame.idx + 1;
    if (this.#head >= 128 && this.#head * 2 >= this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Consumes every frame that ends at or before `pos` (samples). */
  skipEndingBy(pos: number): void {
    for (let frame = this.peek(); frame && frame.pos + frame.durationSamples <= pos; frame = this.peek()) {
      this.advance();
    }
  }

  /** Positions the reader at frame `idx`, keeping buffered frames when they already cover it. */
  seek(idx: number): void {
    const target = Math.max(1, idx);
    const first = this.#frames[this.#head];
    const skip = first ? target - first.idx : -1;
    if (first && skip >= 0 && skip < this.#frames.length - this.#head) {
      this.#head += skip;
    } else {
      this.#frames = [];
      this.#head = 0;
    }
    this.#nextIdx = target;
    this.#knownLast = Math.max(this.#knownLast, this.#spool.lastIdx(this.streamId));
  }

  /** Refreshes the highest existing `idx` from the spool (after a stream ended). */
  syncLast(): void {
    this.#knownLast = Math.max(this.#knownLast, this.#spool.lastIdx(this.streamId));
  }

  #tailIdx(): number {
    const last = this.#frames[this.#frames.length - 1];
    return last && this.#frames.length > this.#head ? last.idx : this.#nextIdx - 1;
  }

  #fill(i: number): void {
    while (this.#frames.length - this.#head <= i) {
      const from = this.#tailIdx() + 1;
      if (from > this.#knownLast) return;
      const read = this.#spool.readFrames(this.streamId, from, SPOOL_BATCH);
      if (read.length === 0) return;
      for (const frame of read) this.#frames.push(frame);
    }
  }
}

/**
 * Finds the first frame of a stream that ends after `pos` (samples), by binary search over `idx`
 * (frames of a stream tile its timeline, so `pos` grows with `idx`).
 * @returns its `idx`, or `lastIdx + 1` when every frame ends at or before `pos`.
 */
export function findFrameEndingAfter(spool: Spool, streamId: number, pos: number): number {
  let low = 1;
  let high = spool.lastIdx(streamId) + 1;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    const frame = spool.readFrames(streamId, mid, 1)[0];
    if (frame && frame.pos + frame.durationSamples <= pos) low = mid + 1;
    else high = mid;
  }
  return low;
}
