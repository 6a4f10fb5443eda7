/**
 * When each frame of a paced RTP stream is due: the frame at timeline position `anchorPos` (samples)
 * is due at monotonic `anchorMs`, and every later position `(pos − anchorPos) / rate / maxRate`
 * seconds after it. The first frame anchors the schedule; a frame later than `maxLagMs` re-anchors
 * it (the source stalled: pace from here rather than burst to catch up).
 */
export class SendSchedule {
  readonly #msPerSample: number;
  readonly #maxLagMs: number;
  #anchored = false;
  #anchorMs = 0;
  #anchorPos = 0;
  /** Times the schedule was re-anchored because a frame was too late. */
  resets = 0;

  /**
   * @param rate - RTP clock rate, Hz.
   * @param maxRate - multiple of real time, > 0.
   * @param maxLagMs - lateness after which the schedule restarts, ms.
   */
  constructor(rate: number, maxRate: number, maxLagMs: number) {
    this.#msPerSample = 1000 / (rate * maxRate);
    this.#maxLagMs = maxLagMs;
  }

  /** Milliseconds until the frame at `pos` is due (≤ 0: due now); anchors on the first call or a large lag. */
  waitMs(pos: number, now: number): number {
    if (this.#anchored) {
      const wait = this.#anchorMs + (pos - this.#anchorPos) * this.#msPerSample - now;
      if (wait >= -this.#maxLagMs) return wait;
      this.resets++;
    }
    this.#anchored = true;
    this.#anchorMs = now;
    this.#anchorPos = pos;
    return 0;
  }
}
