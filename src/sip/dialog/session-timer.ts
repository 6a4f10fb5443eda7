import type { Clock, TimerHandle } from "../../lib/index.ts";
import { parseParams } from "../message/header-params.ts";
import type { SipRequest } from "../message/request.ts";
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

/** The session-timer facts of a request the peer sent (RFC 4028 §9): what the UAS decides from. */
export interface PeerTimerRequest {
  /** Its Session-Expires, if any. */
  sessionExpires: SessionExpires | undefined;
  /** Whether it said `Supported: timer` or `Require: timer` (the peer can refresh). */
  supportsTimer: boolean;
  /** Its Min-SE, seconds, if any. */
  minSeS: number | undefined;
}

/** Reads Session-Expires, Min-SE and the `timer` option tag of Supported/Require from `request`. */
export function peerTimerRequest(request: SipRequest): PeerTimerRequest {
  const tags = [...request.headerAll("supported"), ...request.headerAll("require")];
  return {
    sessionExpires: parseSessionExpires(request.header("session-expires")),
    supportsTimer: tags.some((tag) => tag.trim().toLowerCase() === "timer"),
    minSeS: parseMinSe(request.header("min-se")),
  };
}

/**
 * The session timer a Session-Expires value of a 2xx sets up (RFC 4028 §7.4, §9) for the side that is
 * `we` in that transaction: `refresher=uac` (or no refresher) means the sender of the request.
 * `undefined` when the value is absent or malformed (no session timer).
 */
export function negotiatedTimer(value: string | undefined, we: "uac" | "uas"): SessionTimerState | undefined {
  const se = parseSessionExpires(value);
  if (!se) return undefined;
  return { intervalS: se.deltaS, refresher: (se.refresher ?? "uac") === we ? "local" : "remote" };
}

/** How to answer a session refresh the peer sent (initial INVITE, re-INVITE or UPDATE), per RFC 4028 §9. */
export type RemoteRefreshTerms =
  | {
      /** Reject with 422 and this Min-SE (its Session-Expires is below our minimum). */
      rejectMinSeS: number;
    }
  | {
      rejectMinSeS?: undefined;
      /** Session-Expires for our 2xx, or `undefined` when no session timer applies. */
      sessionExpires: string | undefined;
      /** Whether our 2xx carries `Require: timer` (the peer supports timers). */
      requireTimer: boolean;
      /** The timer to run once the 2xx is sent. */
      state: SessionTimerState | undefined;
    };

/**
 * Decides the session-timer part of our 2xx to a request the peer sent (RFC 4028 §9):
 * - a Session-Expires below `minSeS` gets 422 with our Min-SE when the peer supports timers; from a
 *   peer that does not (a proxy inserted the header) it cannot be refused, so it is raised to
 *   `minSeS` (and at least the request's Min-SE) and we refresh, as RFC 4028 §8.1 lets a proxy do;
 * - otherwise its interval is kept; the refresher follows the §9 table: a peer without timer support
 *   → `uas` (we refresh), else its `refresher`, or `uac` (the peer refreshes) when it left it open;
 * - without Session-Expires the running timer (`current`) continues on the same terms; with none
 *   running there is no session timer.
 * `Require: timer` goes in the 2xx whenever the peer supports timers (MUST for `refresher=uac`,
 * SHOULD for `uas`). "uac" in the 2xx means the peer (the sender of the request).
 */
export function remoteRefreshTerms(
  request: PeerTimerRequest,
  current: SessionTimerState | undefined,
  minSeS: number,
): RemoteRefreshTerms {
  const se = request.sessionExpires;
  let intervalS: number;
  let refresher: "uac" | "uas";
  if (se) {
    if (se.deltaS < minSeS && request.supportsTimer) return { rejectMinSeS: minSeS };
    intervalS = Math.max(se.deltaS, minSeS, request.minSeS ?? 0);
    refresher = request.supportsTimer ? (se.refresher ?? "uac") : "uas";
  } else if (current) {
    intervalS = current.intervalS;
    refresher = current.refresher === "remote" && request.supportsTimer ? "uac" : "uas";
  } else {
    return { sessionExpires: undefined, requireTimer: false, state: undefined };
  }
  return {
    sessionExpires: formatSessionExpires(intervalS, refresher),
    requireTimer: request.supportsTimer,
    state: { intervalS, refresher: refresher === "uac" ? "remote" : "local" },
  };
}
