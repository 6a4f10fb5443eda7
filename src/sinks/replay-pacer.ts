import type { Clock } from "../lib/index.ts";

/** Burst a paced replay may send at once, in ms of wall time at the pace (1 s at 1.0× = 1 s of audio). */
const BURST_MS = 1_000;

/**
 * Paces replayed audio at `rate` × real time (EASP.md §4 `opened.replay.maxRate`, config
 * `replay.max_rate`): a token bucket of audio milliseconds that refills at `rate` per wall-clock
 * millisecond, holding at most one second's worth. Rate 0 means unlimited. Only REPLAY records
 * are paced; live audio goes out as it comes.
 */
export class ReplayPacer {
  readonly #clock: Clock;
  #rate = 0;
  /** Audio ms that may be sent now. */
  #tokens = 0;
  /** Clock ms of the last refill. */
  #refilledAt = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The pace, × real time (0 = unlimited). */
  get rate(): number {
    return this.#rate;
  }

  /** Sets the pace (after `opened`) and fills the bucket. */
  setRate(rate: number): void {
    this.#rate = rate > 0 && Number.isFinite(rate) ? rate : 0;
    this.#tokens = this.#capacity();
    this.#refilledAt = this.#clock.now();
  }

  /**
   * Takes `ms` of audio if the pace allows it now.
   * @returns 0 when taken, else how long to wait before it would be allowed, ms.
   */
  take(ms: number): number {
    if (this.#rate === 0) return 0;
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#capacity(), this.#tokens + (now - this.#refilledAt) * this.#rate);
    this.#refilledAt = now;
    const need = Math.min(ms, this.#capacity());
    if (this.#tokens >= need) {
      this.#tokens -= ms;
      return 0;
    }
    return Math.max(1, Math.ceil((need - this.#tokens) / this.#rate));
  }

  #capacity(): number {
    return BURST_MS * this.#rate;
  }
}

/**
 * The replay pace a unit uses: the lower of the receiver's `opened.replay.maxRate` and the sink's
 * configured `maxRate`, where 0 on either side means "no limit from this side".
 */
export function effectiveReplayRate(receiverMaxRate: number, configuredMaxRate: number): number {
  const limits = [receiverMaxRate, configuredMaxRate].filter((r) => r > 0 && Number.isFinite(r));
  return limits.length === 0 ? 0 : Math.min(...limits);
}
