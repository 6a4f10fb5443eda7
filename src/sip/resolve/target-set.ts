import {
  type Clock,
  InvalidStateError,
  type Logger,
  silentLogger,
  systemClock,
  type TimerHandle,
  TypedEmitter,
} from "../../lib/index.ts";
import { formatSipTarget } from "./format-target.ts";
import type { SipTarget } from "./resolve-types.ts";

/**
 * Why a target failed (RFC 3263 §4.3: "a failure ... is detected by a transport error or a 503"; a
 * transaction timeout, Timer B/F or a 408, counts too).
 */
export type TargetFailureReason = "unavailable" | "timeout" | "transport";

/** One failure of a target, as given to {@link TargetSet.markFailed}. */
export interface TargetFailure {
  /** What went wrong: `unavailable` (503), `timeout` (408, Timer B/F), `transport` (refused, reset, TLS). */
  reason: TargetFailureReason;
  /** The SIP status that showed it (503, 408), if any. */
  status?: number;
  /**
   * The 503's Retry-After, ms: the target is skipped exactly this long instead of the backoff
   * (RFC 3261 §21.5.4: do not retry this server for the duration).
   */
  retryAfterMs?: number;
  /** Free text for logs and events, e.g. a transport error message. */
  detail?: string;
}

/** State of a target: `up` (no failure since the last success), `down` (skipped until `retryAt`), `retry` (backoff over, offered again, not yet confirmed). */
export type TargetState = "up" | "down" | "retry";

/** Snapshot of one target's failover state. */
export interface TargetStatus {
  /** The target. */
  readonly target: SipTarget;
  /** `transport:address:port` (see `formatSipTarget`). */
  readonly key: string;
  /** Current state. */
  readonly state: TargetState;
  /** Outages since the last success (a failure while already `down` does not count again). */
  readonly failures: number;
  /** Clock ms (`Clock.now()`) from which a `down` target is offered again; `undefined` unless `down`. */
  readonly retryAt: number | undefined;
  /** The last failure reported, until a success clears it. */
  readonly lastFailure: TargetFailure | undefined;
}

/** Events of a {@link TargetSet}: every state change, with the target's new status. */
export type TargetSetEvents = {
  /** A target failed and is skipped until `retryAt`. */
  targetdown: [TargetStatus];
  /** A `down` target's backoff elapsed; it is offered again (state `retry`). */
  targetretry: [TargetStatus];
  /** A target that had failed (`down` or `retry`) succeeded again. */
  targetup: [TargetStatus];
};

/** Options of {@link TargetSet}. */
export interface TargetSetOptions {
  /** Time source for backoff timers. @default systemClock */
  clock?: Clock;
  /** Where down/up changes are logged (warn/info). @default silentLogger */
  logger?: Logger;
  /**
   * How long a failed target is skipped when no Retry-After says: `initialMs` after the first
   * outage, doubling per consecutive outage, at most `maxMs` (ms).
   * @default { initialMs: 5000, maxMs: 300000 }
   */
  backoff?: { initialMs: number; maxMs: number };
}

/** Mutable failover state of one target. */
interface Entry {
  target: SipTarget;
  key: string;
  state: TargetState;
  failures: number;
  retryAt: number | undefined;
  lastFailure: TargetFailure | undefined;
  /** Timer that ends the backoff of a `down` target. */
  timer: TimerHandle | undefined;
}

/**
 * Failover bookkeeping over the ordered targets of one SIP URI (RFC 3263 §4.3): iterate them in
 * order, skip those that failed (503, timeout, transport error) until their Retry-After or backoff
 * has passed, and report every state change as an event. Keep one per remote URI so the state
 * outlives a single call; call {@link TargetSet.update} after a new resolution and
 * {@link TargetSet.close} when done (it owns backoff timers).
 *
 * @example
 * for (let t = set.next(); t; t = set.next(t)) {
 *   try { await sendInvite(t); set.markSucceeded(t); break; }
 *   catch { set.markFailed(t, { reason: "transport" }); }
 * }
 */
export class TargetSet extends TypedEmitter<TargetSetEvents> {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #initialMs: number;
  readonly #maxMs: number;
  /** Targets in trying order. */
  #entries: Entry[] = [];
  /** Same entries by key. */
  #byKey = new Map<string, Entry>();
  /** Closed flag. */
  #closed = false;

  /** Creates the set over `targets` (e.g. from `resolveSipUri`), all `up`. */
  constructor(targets: readonly SipTarget[], options: TargetSetOptions = {}) {
    super();
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#initialMs = Math.max(1, options.backoff?.initialMs ?? 5_000);
    this.#maxMs = Math.max(this.#initialMs, options.backoff?.maxMs ?? 300_000);
    this.update(targets);
  }

  /** Number of targets. */
  get size(): number {
    return this.#entries.length;
  }

  /** Targets that may be tried now (`up` or `retry`), in order; empty when every target is down. */
  candidates(): SipTarget[] {
    this.#endElapsedBackoffs();
    return this.#entries.filter((entry) => entry.state !== "down").map((entry) => entry.target);
  }

  /**
   * The next target to try after `previous` (the first when omitted, or when `previous` is no longer
   * in the set), skipping `down` ones; `undefined` when none is left.
   */
  next(previous?: SipTarget): SipTarget | undefined {
    this.#endElapsedBackoffs();
    const current = previous === undefined ? undefined : this.#byKey.get(formatSipTarget(previous));
    const from = current === undefined ? -1 : this.#entries.indexOf(current);
    return this.#entries.slice(from + 1).find((entry) => entry.state !== "down")?.target;
  }

  /**
   * Records that `target` failed: it becomes `down` for the failure's `retryAfterMs`, else for the
   * backoff of its consecutive outages, and `targetdown` is emitted (only on the change to `down`;
   * a further failure while down just extends `retryAt`).
   * @returns the new status, or `undefined` for a target not in the set (e.g. removed by `update`).
   * @throws InvalidStateError (INVALID_STATE) after `close()`.
   */
  markFailed(target: SipTarget, failure: TargetFailure): TargetStatus | undefined {
    const entry = this.#entry(target);
    if (entry === undefined) return undefined;
    const wasDown = entry.state === "down";
    if (!wasDown) entry.failures += 1;
    const delay = failure.retryAfterMs ?? this.#backoffMs(entry.failures);
    const retryAt = this.#clock.now() + Math.max(0, delay);
    entry.retryAt = wasDown ? Math.max(entry.retryAt ?? retryAt, retryAt) : retryAt;
    entry.state = "down";
    entry.lastFailure = failure;
    this.#clock.clearTimer(entry.timer);
    entry.timer = this.#clock.setTimeout(() => this.#endBackoff(entry), entry.retryAt - this.#clock.now());
    const status = snapshot(entry);
    if (!wasDown) {
      this.#logger.warn("SIP target down", {
        target: entry.key,
        ...failure,
        failures: entry.failures,
        retryInMs: delay,
      });
      this.safeEmit("targetdown", status);
    }
    return status;
  }

  /**
   * Records that `target` answered (any final response but 503/408): it becomes `up` with no
   * failures, and `targetup` is emitted if it was `down` or `retry`.
   * @returns the new status, or `undefined` for a target not in the set.
   * @throws InvalidStateError (INVALID_STATE) after `close()`.
   */
  markSucceeded(target: SipTarget): TargetStatus | undefined {
    const entry = this.#entry(target);
    if (entry === undefined) return undefined;
    const before = entry.state;
    this.#clock.clearTimer(entry.timer);
    Object.assign(entry, {
      state: "up",
      failures: 0,
      retryAt: undefined,
      lastFailure: undefined,
      timer: undefined,
    });
    const status = snapshot(entry);
    if (before !== "up") {
      this.#logger.info("SIP target up", { target: entry.key });
      this.safeEmit("targetup", status);
    }
    return status;
  }

  /** Status of every target, in order. */
  status(): TargetStatus[] {
    this.#endElapsedBackoffs();
    return this.#entries.map(snapshot);
  }

  /** Earliest clock ms at which a `down` target is offered again; `undefined` when none is down. */
  nextRetryAt(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.#entries) {
      if (entry.state === "down" && entry.retryAt !== undefined) {
        earliest = earliest === undefined ? entry.retryAt : Math.min(earliest, entry.retryAt);
      }
    }
    return earliest;
  }

  /**
   * Replaces the targets with a new resolution's (new order), keeping the state of targets already
   * known (same transport, address and port) and dropping the others' timers.
   * @throws InvalidStateError (INVALID_STATE) after `close()`.
   */
  update(targets: readonly SipTarget[]): void {
    if (this.#closed) throw new InvalidStateError("TargetSet is closed");
    const entries: Entry[] = [];
    const byKey = new Map<string, Entry>();
    for (const target of targets) {
      const key = formatSipTarget(target);
      if (byKey.has(key)) continue;
      const entry = this.#byKey.get(key) ?? newEntry(target, key);
      entry.target = target;
      entries.push(entry);
      byKey.set(key, entry);
    }
    for (const [key, old] of this.#byKey) {
      if (!byKey.has(key)) this.#clock.clearTimer(old.timer);
    }
    this.#entries = entries;
    this.#byKey = byKey;
  }

  /** Cancels every backoff timer; the set can no longer be marked or updated. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#entries) {
      this.#clock.clearTimer(entry.timer);
      entry.timer = undefined;
    }
  }

  #entry(target: SipTarget): Entry | undefined {
    if (this.#closed) throw new InvalidStateError("TargetSet is closed");
    const entry = this.#byKey.get(formatSipTarget(target));
    if (entry === undefined) this.#logger.debug("SIP target not in set", { target: formatSipTarget(target) });
    return entry;
  }

  #backoffMs(failures: number): number {
    return Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(failures - 1, 30));
  }

  /** Ends backoffs whose time has come but whose timer has not run yet (same tick). */
  #endElapsedBackoffs(): void {
    const now = this.#clock.now();
    for (const entry of this.#entries) {
      if (entry.state === "down" && entry.retryAt !== undefined && entry.retryAt <= now)
        this.#endBackoff(entry);
    }
  }

  #endBackoff(entry: Entry): void {
    if (entry.state !== "down" || this.#byKey.get(entry.key) !== entry) return;
    this.#clock.clearTimer(entry.timer);
    entry.timer = undefined;
    entry.state = "retry";
    entry.retryAt = undefined;
    this.#logger.info("SIP target retryable", { target: entry.key, failures: entry.failures });
    this.safeEmit("targetretry", snapshot(entry));
  }
}

function newEntry(target: SipTarget, key: string): Entry {
  return {
    target,
    key,
    state: "up",
    failures: 0,
    retryAt: undefined,
    lastFailure: undefined,
    timer: undefined,
  };
}

function snapshot(entry: Entry): TargetStatus {
  return {
    target: entry.target,
    key: entry.key,
    state: entry.state,
    failures: entry.failures,
    retryAt: entry.retryAt,
    lastFailure: entry.lastFailure,
  };
}
