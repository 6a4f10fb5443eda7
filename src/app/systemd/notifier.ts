import {
  type Clock,
  formatBytes,
  type Logger,
  silentLogger,
  systemClock,
  type TimerHandle,
} from "../../lib/index.ts";
import { SdNotify } from "./sd-notify.ts";
import { Watchdog, watchdogIntervalMs } from "./watchdog.ts";

/** Options of {@link SystemdNotifier}. */
export interface SystemdNotifierOptions {
  /** Delivers one sd_notify state. @default a new {@link SdNotify} (libsystemd via bun:ffi, else the CLI) */
  send?: (state: string) => boolean;
  /** Environment read for `WATCHDOG_USEC` / `WATCHDOG_PID`. @default process.env */
  env?: Record<string, string | undefined>;
  /** Our PID, compared with `WATCHDOG_PID`. @default process.pid */
  pid?: number;
  /** The STATUS= text sent with READY=1 and then every `statusIntervalMs` (see {@link statusLine}). */
  statusLine?: () => string;
  /** Period of the STATUS= updates, ms. @default 10000 */
  statusIntervalMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Counters shown in the unit's STATUS= line (`systemctl status siprec-edge`). */
export interface StatusFigures {
  /** Calls (recording sessions) in progress. */
  activeCalls: number;
  /** Spool bytes in use. */
  spoolBytes: number;
  /** The spool's cap (`spool.max_bytes`), bytes. */
  spoolMaxBytes: number;
}

/** Formats the STATUS= text: `12 calls, spool 3.1 GiB of 20.0 GiB`. */
export function statusLine(figures: StatusFigures): string {
  const calls = figures.activeCalls === 1 ? "1 call" : `${figures.activeCalls} calls`;
  return `${calls}, spool ${formatBytes(figures.spoolBytes)} of ${formatBytes(figures.spoolMaxBytes)}`;
}

/**
 * The appliance's side of a `Type=notify` unit (sd_notify(3), DESIGN.md §7): READY=1 once every
 * listener is up, STATUS= lines with calls and spool use, STOPPING=1 on the way down, and the
 * watchdog (`WatchdogSec=`) fed from the event loop once ready. Outside systemd (no `NOTIFY_SOCKET`)
 * every call does nothing. Never throws.
 */
export class SystemdNotifier {
  readonly #send: (state: string) => boolean;
  readonly #statusLine: (() => string) | undefined;
  readonly #statusIntervalMs: number;
  readonly #clock: Clock;
  readonly #watchdog: Watchdog | undefined;
  #statusTimer: TimerHandle | undefined;

  constructor(options: SystemdNotifierOptions = {}) {
    const logger = options.logger ?? silentLogger;
    this.#send = options.send ?? sendThrough(new SdNotify({ logger }));
    this.#statusLine = options.statusLine;
    this.#statusIntervalMs = options.statusIntervalMs ?? 10_000;
    this.#clock = options.clock ?? systemClock;
    const intervalMs = watchdogIntervalMs(options.env ?? process.env, options.pid ?? process.pid);
    this.#watchdog = intervalMs === undefined ? undefined : new Watchdog(this.#send, intervalMs, this.#clock);
  }

  /** Whether systemd's watchdog is on for us (and so pinged once ready). */
  get watchdogEnabled(): boolean {
    return this.#watchdog !== undefined;
  }

  /**
   * Sends `READY=1` (with `STATUS=` from `status` or the `statusLine` option), then starts the
   * watchdog pings and the periodic STATUS= updates. Idempotent apart from the datagram.
   * @returns whether the datagram was sent.
   */
  ready(status = this.#statusLine?.()): boolean {
    const sent = this.#send(status === undefined ? "READY=1" : `READY=1\nSTATUS=${oneLine(status)}`);
    this.#watchdog?.start();
    if (this.#statusLine && !this.#statusTimer) {
      const line = this.#statusLine;
      this.#statusTimer = this.#clock.setInterval(() => this.status(line()), this.#statusIntervalMs);
    }
    return sent;
  }

  /** Sends `STATUS=<text>` (newlines become spaces). @returns whether it was sent. */
  status(text: string): boolean {
    return this.#send(`STATUS=${oneLine(text)}`);
  }

  /**
   * Sends `STOPPING=1` (with `STATUS=<status>` if given) and stops the STATUS= updates; the
   * watchdog keeps being fed until {@link close}. @returns whether it was sent.
   */
  stopping(status?: string): boolean {
    this.#clock.clearTimer(this.#statusTimer);
    this.#statusTimer = undefined;
    return this.#send(status === undefined ? "STOPPING=1" : `STOPPING=1\nSTATUS=${oneLine(status)}`);
  }

  /** Stops every timer (watchdog and STATUS=). Idempotent. */
  close(): void {
    this.#clock.clearTimer(this.#statusTimer);
    this.#statusTimer = undefined;
    this.#watchdog?.stop();
  }
}

function sendThrough(sd: SdNotify): (state: string) => boolean {
  return (state) => sd.send(state);
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}
