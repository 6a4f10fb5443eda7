/**
 * Reconnect delays: exponential from `initialMs`, capped at `maxMs`, with full jitter (the delay
 * is uniform in `[0, min(maxMs, initialMs·2^attempt)]`), as EASP.md §5 and DESIGN.md §5 ask.
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  /** Failed attempts since the last reset. */
  #attempt = 0;

  constructor(initialMs: number, maxMs: number, random: () => number = Math.random) {
    this.#initialMs = Math.max(1, initialMs);
    this.#maxMs = Math.max(this.#initialMs, maxMs);
    this.#random = random;
  }

  /** The delay before the next attempt, ms; each call doubles the ceiling (up to `maxMs`). */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    return Math.round(this.#random() * ceiling);
  }

  /** Starts again from `initialMs` (after a connection proved healthy). */
  reset(): void {
    this.#attempt = 0;
  }
}
