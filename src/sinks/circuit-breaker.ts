import type { Clock, TimerHandle } from "../lib/index.ts";

/** State of a {@link CircuitBreaker}. */
export type CircuitState = "closed" | "open" | "half-open";

/**
 * The circuit breaker of one sink, shared by all its units (DESIGN.md §5): after `failures`
 * consecutive failed connects (across units) it opens and nobody dials for `coolDownMs`; then it
 * lets one probe through (half-open). The probe reaching `opened` closes it and wakes every waiting
 * unit; the probe failing opens it for another cool-down. Units keep spooling meanwhile.
 */
export class CircuitBreaker {
  readonly #failures: number;
  readonly #coolDownMs: number;
  readonly #clock: Clock;
  #state: CircuitState = "closed";
  /** Failed connects in a row. */
  #consecutive = 0;
  /** A probe is dialling (half-open). */
  #probing = false;
  /** Units waiting to dial, in arrival order. */
  readonly #waiting = new Set<() => void>();
  #timer: TimerHandle | undefined;

  constructor(failures: number, coolDownMs: number, clock: Clock) {
    this.#failures = Math.max(1, failures);
    this.#coolDownMs = Math.max(0, coolDownMs);
    this.#clock = clock;
  }

  /** Current state. */
  get state(): CircuitState {
    return this.#state;
  }

  /**
   * Asks to dial now. Returns true when allowed (closed, or as the half-open probe); otherwise
   * `wake` is kept and called once the unit may dial (as the probe, or when the circuit closed).
   */
  request(wake: () => void): boolean {
    if (this.#state === "closed") return true;
    if (this.#state === "half-open" && !this.#probing) {
      this.#probing = true;
      return true;
    }
    this.#waiting.add(wake);
    return false;
  }

  /** Forgets a waiting unit (it stopped). */
  cancel(wake: () => void): void {
    this.#waiting.delete(wake);
  }

  /** A connect reached `opened`: the circuit closes and every waiting unit dials. */
  succeeded(): void {
    this.#consecutive = 0;
    this.#probing = false;
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const wake of waiting) wake();
  }

  /** A connect failed before `opened` (refused, handshake, no `opened`). */
  failed(): void {
    this.#consecutive += 1;
    if (this.#state === "half-open" && this.#probing) {
      this.#probing = false;
      this.#open();
    } else if (this.#state === "closed" && this.#consecutive >= this.#failures) {
      this.#open();
    }
  }

  /** A unit stopped while its connect was in flight: if it was the probe, the next waiting unit probes instead. */
  abandoned(): void {
    if (!this.#probing) return;
    this.#probing = false;
    if (this.#state === "half-open") this.#halfOpen();
  }

  /** Stops the cool-down timer (dispatcher closing). */
  dispose(): void {
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#waiting.clear();
  }

  #open(): void {
    this.#state = "open";
    this.#clock.clearTimer(this.#timer);
    this.#timer = this.#clock.setTimeout(this.#halfOpen, this.#coolDownMs);
  }

  readonly #halfOpen = (): void => {
    this.#timer = undefined;
    this.#state = "half-open";
    const probe = this.#waiting.values().next().value;
    if (probe === undefined) return;
    this.#waiting.delete(probe);
    this.#probing = true;
    probe();
  };
}
