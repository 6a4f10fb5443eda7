/** Handle returned by {@link Clock.setTimeout} / {@link Clock.setInterval}. */
export type TimerHandle = { readonly id: unknown };

/**
 * Source of time and timers, injected everywhere so tests can drive time by hand
 * (transaction timers, reorder buffers, group commit, backoff).
 */
export interface Clock {
  /** Monotonic milliseconds (arbitrary origin), for durations and timers. */
  now(): number;
  /** Wall-clock microseconds since the Unix epoch (UTC), for capture times. */
  wallUs(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Runs `fn` every `ms` milliseconds. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer from `setTimeout` or `setInterval`; cancelling twice is harmless. */
  clearTimer(handle: TimerHandle | undefined): void;
}

const perfOriginUs = Date.now() * 1000 - performance.now() * 1000;

/** The real clock: `performance.now()` for durations, `Date.now()` anchored for wall time. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallUs: () => Math.round(perfOriginUs + performance.now() * 1000),
  setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
  setInterval: (fn, ms) => ({ id: setInterval(fn, ms) }),
  clearTimer: (handle) => {
    if (handle) clearTimeout(handle.id as ReturnType<typeof setTimeout>);
  },
};
