import type { FrameRecord } from "../spool/index.ts";

/** How long a frame may wait for its group commit before it is forwarded anyway, ms. */
export const COMMIT_STALL_MS = 2_000;

/**
 * When units may forward a frame the spool has not committed yet (shared by a dispatcher's frame
 * readers). Normally never: a frame sent before its commit could be lost by a crash, and after the
 * restart its `seq` would denote another item (EASP.md §1). But when the spool stops committing
 * (disk full, I/O errors), waiting would stall live delivery and, since only delivered calls are
 * purged, keep the spool full for good; so a frame captured more than {@link COMMIT_STALL_MS} ago
 * goes out uncommitted (availability wins; a crash in that state can leave the receiver ahead,
 * which `opened` reports as SINK_RECEIVER_AHEAD).
 */
export class CommitGate {
  /** Uncommitted frames captured before this (µs since the Unix epoch) are forwarded. */
  #stalledBeforeUs = Number.NEGATIVE_INFINITY;

  /** Moves the gate to wall time `nowUs` (µs); called before each round of pumps. */
  update(nowUs: number): void {
    this.#stalledBeforeUs = nowUs - COMMIT_STALL_MS * 1000;
  }

  /** Whether an uncommitted frame may be forwarded (its commit is overdue). */
  admits(frame: FrameRecord): boolean {
    return frame.captureUs < this.#stalledBeforeUs;
  }
}

/** A gate that never admits an uncommitted frame. */
export const STRICT_COMMIT_GATE = new CommitGate();
