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

/** A connection counts as healthy (the backoff restarts) once it stayed up this long and got an ack, ms. */
export const HEALTHY_AFTER_MS = 10_000;

/**
 * When a unit reconnects (EASP.md §5 "Reconnect backoff"): exponential backoff with full jitter,
 * reset only after a connection stayed up ≥ 10 s **and** received at least one `ack` (a receiver
 * that accepts and then drops every connection must not make the appliance hot-loop), and the
 * receiver's `retryAfterMs` honoured when it gave one.
 */
export class ReconnectPolicy {
  readonly #backoff: Backoff;
  /** Clock ms when the current connection was opened (`opened`), or -1. */
  #openedAt = -1;
  /** The current connection received an ack. */
  #acked = false;

  constructor(backoff: Backoff) {
    this.#backoff = backoff;
  }

  /** A connection got `opened` at `now` (ms). */
  opened(now: number): void {
    this.#openedAt = now;
    this.#acked = false;
  }

  /** The connection received an ack at `now` (ms). */
  acked(now: number): void {
    this.#acked = true;
    this.#resetIfHealthy(now);
  }

  /**
   * The connection (or the attempt) ended at `now` (ms).
   * @returns the delay before the next attempt, ms: `retryAfterMs` when given, else the backoff's.
   */
  closed(now: number, retryAfterMs?: number): number {
    this.#resetIfHealthy(now);
    this.#openedAt = -1;
    this.#acked = false;
    const delay = this.#backoff.next();
    return retryAfterMs ?? delay;
  }

  #resetIfHealthy(now: number): void {
    if (this.#acked && this.#openedAt >= 0 && now - this.#openedAt >= HEALTHY_AFTER_MS) this.#backoff.reset();
  }
}
