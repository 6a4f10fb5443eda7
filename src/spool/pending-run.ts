import { FrameKind } from "../lib/index.ts";
import type { FrameInput, FrameRecord } from "./spool-types.ts";

const noPayload = new Uint8Array(0);

/**
 * Consecutive payload-less GAP frames of one stream held in memory as one entry: the first frame and
 * how many follow it, each `durationSamples` later in pos, one later in RTP seq and `stepUs` later in
 * capture time, with the same kind, flags, reason and duration. The spool keeps frames this way once
 * `maxPendingFrames` wait for a failing commit (audio is discarded then), so memory stays bounded by
 * the number of streams and timeline breaks, not by time.
 * @internal used by `FrameStore` only.
 */
export class PendingRun {
  /** The first frame (the caller's object, kept as appended). */
  readonly first: FrameInput;
  /** Frames in the run (≥ 1). */
  count = 1;
  /** Capture time step between frames, µs; set by the second frame. */
  stepUs = 0;

  constructor(first: FrameInput) {
    this.first = first;
  }

  /** Whether a frame may start or join a run: a GAP without payload. */
  static holds(frame: FrameInput): boolean {
    return frame.kind === FrameKind.Gap && frame.payload.byteLength === 0;
  }

  /** Adds `frame` if it continues the run exactly; false (nothing changed) otherwise. */
  extend(frame: FrameInput): boolean {
    const f = this.first;
    const n = this.count;
    if (
      !PendingRun.holds(frame) ||
      frame.gapReason !== f.gapReason ||
      frame.flags !== f.flags ||
      frame.durationSamples !== f.durationSamples ||
      frame.rtpSeq !== f.rtpSeq + n ||
      frame.pos !== f.pos + n * f.durationSamples
    ) {
      return false;
    }
    const stepUs = n === 1 ? frame.captureUs - f.captureUs : this.stepUs;
    if (!Number.isFinite(stepUs) || frame.captureUs !== f.captureUs + n * stepUs) return false;
    this.stepUs = stepUs;
    this.count = n + 1;
    return true;
  }

  /** Frame `k` (from 0) of the run as a record of `streamId` at `idx`. */
  frameAt(k: number, streamId: number, idx: number): FrameRecord {
    const f = this.first;
    return {
      streamId,
      idx,
      kind: f.kind,
      flags: f.flags,
      gapReason: f.gapReason,
      rtpSeq: f.rtpSeq + k,
      pos: f.pos + k * f.durationSamples,
      captureUs: f.captureUs + k * this.stepUs,
      durationSamples: f.durationSamples,
      payload: noPayload,
    };
  }
}
