import type { Clock, TimerHandle } from "../../src/lib/index.ts";

interface ManualTimer {
  id: number;
  due: number;
  interval: number | undefined;
  fn: () => void;
}

/**
 * A {@link Clock} that only moves when a test calls {@link ManualClock.advance}: timers fire in due
 * order (ties in creation order), including timers scheduled by timers inside the advanced window.
 * No sleeps, no real timers.
 */
export class ManualClock implements Clock {
  #now: number;
  #wallOriginUs: number;
  #nextId = 1;
  #timers = new Map<number, ManualTimer>();

  /** Starts at monotonic `startMs` (default 0) and wall time `wallOriginUs` (default 2024-01-01T00:00:00Z). */
  constructor(startMs = 0, wallOriginUs = Date.UTC(2024, 0, 1) * 1000) {
    this.#now = startMs;
    this.#wallOriginUs = wallOriginUs;
  }

  now(): number {
    return this.#now;
  }

  wallUs(): number {
    return this.#wallOriginUs + Math.round(this.#now * 1000);
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, undefined);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, Math.max(1, ms));
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (handle) this.#timers.delete(handle.id as number);
  }

  /** Number of timers still scheduled. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#nextDue(target);
      if (!next) break;
      this.#now = next.due;
      if (next.interval === undefined) this.#timers.delete(next.id);
      else next.due += next.interval;
      next.fn();
    }
    this.#now = target;
  }

  #add(fn: () => void, ms: number, interval: number | undefined): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, due: this.#now + Math.max(0, ms), interval, fn });
    return { id };
  }

  #nextDue(limit: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (
        timer.due <= limit &&
        (!best || timer.due < best.due || (timer.due === best.due && timer.id < best.id))
      ) {
        best = timer;
      }
    }
    return best;
  }
}
