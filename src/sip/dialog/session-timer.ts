import type { Clock, TimerHandle } from "../../lib/index.ts";
import { parseParams } from "../message/header-params.ts";
import type { SessionTimerState } from "./dialog-types.ts";

/** A parsed Session-Expires header (RFC 4028 §4): interval and the optional `refresher` parameter. */
export interface SessionExpires {
  /** Session interval, seconds. */
  deltaS: number;
  /** Which side of the transaction refreshes (`uac` = the request's sender); unset when absent. */
  refresher?: "uac" | "uas";
}

/** RFC 4028 §4 default and recommended Session-Expires, seconds. */
export const defaultSessionExpiresS = 1800;

/** RFC 4028 §5: the smallest Min-SE any UA may require, seconds. */
export const minimumMinSeS = 90;

/**
 * Parses `Session-Expires: 1800;refresher=uac` (compact form `x`). `undefined` when absent or malformed
 * (a bad value is treated as no session timer rather than failing the call).
 */
export function parseSessionExpires(value: string | undefined): SessionExpires | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*(\d{1,10})\s*(;.*)?$/.exec(value);
  if (!match?.[1]) return undefined;
  const deltaS = Number(match[1]);
  if (deltaS <= 0) return undefined;
  let refresher: string | undefined;
  try {
    refresher = parseParams(match[2] ?? "")
      .get("refresher")
      ?.toLowerCase();
  } catch {
    return { deltaS };
  }
  return refresher === "uac" || refresher === "uas" ? { deltaS, refresher } : { deltaS };
}

/** Formats a Session-Expires value: `1800;refresher=uac`. */
export function formatSessionExpires(deltaS: number, refresher: "uac" | "uas" | undefined): string {
  return refresher === undefined ? String(deltaS) : `${deltaS};refresher=${refresher}`;
}

/** Parses a Min-SE value (RFC 4028 §5), seconds; `undefined` when absent or malformed. */
export function parseMinSe(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^\s*(\d{1,10})\s*(;.*)?$/.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** What a {@link SessionTimer} does when it fires. */
export interface SessionTimerActions {
  /** We are the refresher and half the interval passed: send a refresh (RFC 4028 §10). */
  refresh(): void;
  /** The peer is the refresher and did not refresh in time: send BYE (RFC 4028 §10). */
  expire(): void;
}

/**
 * The RFC 4028 §10 clock of one dialog: when we refresh, `refresh` fires at half the interval; when the
 * peer refreshes, `expire` fires at the interval minus min(32 s, interval/3). Each successful refresh
 * restarts it ({@link SessionTimer.start}).
 */
export class SessionTimer {
  readonly #clock: Clock;
  readonly #actions: SessionTimerActions;
  #handle: TimerHandle | undefined;
  #state: SessionTimerState | undefined;

  constructor(clock: Clock, actions: SessionTimerActions) {
    this.#clock = clock;
    this.#actions = actions;
  }

  /** The running timer, or `undefined`. */
  get state(): SessionTimerState | undefined {
    return this.#state;
  }

  /** (Re)starts the timer for `state`; `undefined` stops it. */
  start(state: SessionTimerState | undefined): void {
    this.stop();
    this.#state = state;
    if (!state) return;
    const intervalMs = state.intervalS * 1000;
    if (state.refresher === "local") {
      this.#handle = this.#clock.setTimeout(() => this.#actions.refresh(), intervalMs / 2);
    } else {
      const before = Math.min(32_000, intervalMs / 3);
      this.#handle = this.#clock.setTimeout(() => this.#actions.expire(), intervalMs - before);
    }
  }

  /** Runs `refresh` again after `ms` (a retry after 491 or a failed refresh), keeping the state. */
  retryIn(ms: number): void {
    this.#clock.clearTimer(this.#handle);
    this.#handle = this.#clock.setTimeout(() => this.#actions.refresh(), ms);
  }

  /** Stops the timer (dialog ended). */
  stop(): void {
    this.#clock.clearTimer(this.#handle);
    this.#handle = undefined;
  }
}

/** How to answer a session refresh the peer sent (re-INVITE or UPDATE), per RFC 4028 §9. */
export type RemoteRefreshTerms =
  | {
      /** Reject with 422 and this Min-SE (its Session-Expires is below our minimum). */
      rejectMinSeS: number;
    }
  | {
      rejectMinSeS?: undefined;
      /** Session-Expires for our 2xx, or `undefined` when no session timer applies. */
      sessionExpires: string | undefined;
      /** Whether our 2xx carries `Require: timer` (the peer refreshes). */
      requireTimer: boolean;
      /** The timer to run once the 2xx is sent. */
      state: SessionTimerState | undefined;
    };

/**
 * Decides the session-timer part of our 2xx to a re-INVITE/UPDATE the peer sent (RFC 4028 §9): its
 * Session-Expires below `minSeS` is refused with 422; otherwise we keep its interval and its
 * `refresher` (or, when absent, leave refreshing to the peer if it supports timers, else take it);
 * without Session-Expires the running timer (`current`) continues on the same terms. "uac" in the 2xx
 * means the peer (the sender of this request).
 */
export function remoteRefreshTerms(
  sessionExpires: SessionExpires | undefined,
  peerSupportsTimer: boolean,
  current: SessionTimerState | undefined,
  minSeS: number,
): RemoteRefreshTerms {
  let intervalS: number;
  let refresher: "uac" | "uas";
  if (sessionExpires) {
    if (sessionExpires.deltaS < minSeS) return { rejectMinSeS: minSeS };
    intervalS = sessionExpires.deltaS;
    refresher = sessionExpires.refresher ?? (peerSupportsTimer ? "uac" : "uas");
  } else if (current) {
    intervalS = current.intervalS;
    refresher = current.refresher === "remote" && peerSupportsTimer ? "uac" : "uas";
  } else {
    return { sessionExpires: undefined, requireTimer: false, state: undefined };
  }
  return {
    sessionExpires: formatSessionExpires(intervalS, refresher),
    requireTimer: refresher === "uac",
    state: { intervalS, refresher: refresher === "uac" ? "remote" : "local" },
  };
}
