import { type Clock, systemClock, type TimerHandle } from "../../lib/index.ts";

/**
 * The keep-alive period systemd asks for, per sd_watchdog_enabled(3): half of `WATCHDOG_USEC`
 * (µs, set from the unit's `WatchdogSec=`), in ms; undefined when the watchdog is off, i.e.
 * `WATCHDOG_USEC` is unset or not a positive integer, or `WATCHDOG_PID` names another process.
 */
export function watchdogIntervalMs(env: Record<string, string | undefined>, pid: number): number | undefined {
  const usecText = env.WATCHDOG_USEC;
  if (!usecText || !/^\d+$/.test(usecText)) return undefined;
  const usec = Number(usecText);
  if (usec <= 0) return undefined;
  const watchdogPid = env.WATCHDOG_PID;
  if (watchdogPid && Number(watchdogPid) !== pid) return undefined;
  return Math.max(1, usec / 2000);
}

/**
 * Feeds systemd's watchdog (`WATCHDOG=1`) from a timer on the event loop, so the pings stop as
 * soon as the loop stops turning (a busy loop, a stuck synchronous call) and systemd restarts the
 * process after `WatchdogSec=`. A thread or a child process would keep pinging a hung loop.
 */
export class Watchdog {
  readonly #send: (state: string) => boolean;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;

  /** `send` delivers one sd_notify state; `intervalMs` is from {@link watchdogIntervalMs}. */
  constructor(send: (state: string) => boolean, intervalMs: number, clock: Clock = systemClock) {
    this.#send = send;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
  }

  /** Whether the ping timer runs. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Sends `WATCHDOG=1` now and every interval after. Idempotent. */
  start(): void {
    if (this.#timer) return;
    this.#send("WATCHDOG=1");
    this.#timer = this.#clock.setInterval(() => this.#send("WATCHDOG=1"), this.#intervalMs);
  }

  /** Stops the pings. Idempotent. */
  stop(): void {
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}
