import {
  type Clock,
  errorMessage,
  InvalidStateError,
  type Logger,
  type TimerHandle,
  TypedEmitter,
} from "../../lib/index.ts";
import {
  type DnsLookup,
  formatSipTarget,
  type OptionsPinger,
  resolveSipUri,
  SipLocalResponse,
  type SipNextHop,
  type SipResponse,
  type SipStack,
  type SipTarget,
  type TargetFailure,
  TargetSet,
} from "../../sip/index.ts";

/** How long a resolution is used before the URI is resolved again for the next session, ms. */
const RESOLUTION_TTL_MS = 300_000;

/** Options of {@link SinkTargets}. */
export interface SinkTargetsOptions {
  /** The remote SRS URI. */
  uri: string;
  /** Only TLS targets (SRTP: keys must not travel over plain signalling, RFC 4568 §8.3). */
  tlsOnly: boolean;
  sip: SipStack;
  resolver: DnsLookup | undefined;
  clock: Clock;
  logger: Logger;
  /** Backoff of failed targets and of failed resolutions, ms. */
  backoff: { initialMs: number; maxMs: number };
}

/** Events of {@link SinkTargets}. */
export type SinkTargetsEvents = {
  /** A target may take sessions again (backoff over, ping answered, DNS answered after failing): retry what is owed. */
  available: [];
};

/**
 * The targets of one remote SRS URI, shared by every call forwarded there (RFC 3263 §4.3): the
 * resolution (NAPTR → SRV → A/AAAA, refreshed every 5 minutes), a {@link TargetSet} that skips failed
 * targets until their backoff or Retry-After ends, and OPTIONS pings (RFC 3261 §11) that take targets
 * down and up between calls. Emits `available` whenever owed audio may be tried again.
 */
export class SinkTargets extends TypedEmitter<SinkTargetsEvents> {
  readonly uri: string;
  readonly #o: SinkTargetsOptions;
  #set: TargetSet | undefined;
  #resolvedAt = Number.NEGATIVE_INFINITY;
  #resolving: Promise<TargetSet> | undefined;
  #dnsFailures = 0;
  #dnsRetry: TimerHandle | undefined;
  #pingMs = 0;
  readonly #pingers = new Map<string, OptionsPinger>();
  #closed = false;
  #availablePending = false;

  constructor(options: SinkTargetsOptions) {
    super();
    this.uri = options.uri;
    this.#o = options;
  }

  /** Whether a session may be tried now: not resolved yet, or some target is not down. */
  get mayTry(): boolean {
    if (this.#closed) return false;
    if (!this.#set) return this.#dnsRetry === undefined;
    return this.#set.candidates().length > 0;
  }

  /**
   * The target set, resolved (again) when it never was or its resolution is older than 5 minutes; a
   * failed re-resolution keeps the previous targets.
   * @throws SipResolveError when the URI cannot be resolved and there is no previous resolution
   *   (`available` is emitted after a backoff, to try again).
   */
  async targetSet(): Promise<TargetSet> {
    if (this.#set && this.#o.clock.now() - this.#resolvedAt < RESOLUTION_TTL_MS) return this.#set;
    this.#resolving ??= this.#resolve().finally(() => {
      this.#resolving = undefined;
    });
    return this.#resolving;
  }

  /** Sets the OPTIONS ping interval of every target, ms (0 stops pinging). */
  setPingInterval(ms: number): void {
    if (ms === this.#pingMs) return;
    this.#pingMs = ms;
    for (const pinger of this.#pingers.values()) pinger.stop();
    this.#pingers.clear();
    if (this.#set) this.#syncPingers(this.#set);
  }

  /** Stops pings and timers. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const pinger of this.#pingers.values()) pinger.stop();
    this.#pingers.clear();
    this.#o.clock.clearTimer(this.#dnsRetry);
    this.#set?.close();
  }

  async #resolve(): Promise<TargetSet> {
    const { uri, tlsOnly, resolver, logger } = this.#o;
    let targets: SipTarget[];
    try {
      targets = await resolveSipUri(uri, {
        ...(resolver ? { resolver } : {}),
        ...(tlsOnly ? { transports: ["tls"] as const } : {}),
        logger,
      });
    } catch (err) {
      if (this.#set) {
        logger.warn("SIPREC sink URI not resolved again; keeping its previous targets", {
          uri,
          error: errorMessage(err),
        });
        this.#resolvedAt = this.#o.clock.now();
        return this.#set;
      }
      this.#scheduleDnsRetry();
      throw err;
    }
    if (this.#closed) throw new InvalidStateError(`the targets of ${uri} are closed`);
    this.#dnsFailures = 0;
    this.#resolvedAt = this.#o.clock.now();
    if (this.#set) this.#set.update(targets);
    else this.#set = this.#newSet(targets);
    this.#syncPingers(this.#set);
    return this.#set;
  }

  /**
   * Emits `available` after the current call stack: the TargetSet reports a backoff's end from inside
   * `candidates()`, which `mayTry` calls while a forward is being advanced.
   */
  readonly #signalAvailable = (): void => {
    if (this.#availablePending) return;
    this.#availablePending = true;
    queueMicrotask(() => {
      this.#availablePending = false;
      if (!this.#closed) this.safeEmit("available");
    });
  };

  #newSet(targets: SipTarget[]): TargetSet {
    const set = new TargetSet(targets, {
      clock: this.#o.clock,
      logger: this.#o.logger,
      backoff: this.#o.backoff,
    });
    set.on("targetretry", this.#signalAvailable);
    set.on("targetup", this.#signalAvailable);
    return set;
  }

  #scheduleDnsRetry(): void {
    if (this.#closed || this.#dnsRetry !== undefined) return;
    const { initialMs, maxMs } = this.#o.backoff;
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(this.#dnsFailures++, 30));
    this.#dnsRetry = this.#o.clock.setTimeout(() => {
      this.#dnsRetry = undefined;
      this.#signalAvailable();
    }, delay);
  }

  /** One pinger per target while pinging is on; pingers of targets no longer resolved stop. */
  #syncPingers(set: TargetSet): void {
    const wanted = new Map(this.#pingMs > 0 ? set.status().map((s) => [s.key, s.target] as const) : []);
    for (const [key, pinger] of this.#pingers) {
      if (!wanted.has(key)) {
        pinger.stop();
        this.#pingers.delete(key);
      }
    }
    for (const [key, target] of wanted) {
      if (this.#pingers.has(key)) continue;
      const pinger = this.#o.sip.ping(nextHopOf(target), { intervalMs: this.#pingMs });
      pinger.on("change", (state, response) => {
        if (this.#closed) return;
        if (state === "up") set.markSucceeded(target);
        else set.markFailed(target, failureOf(response));
      });
      this.#pingers.set(key, pinger);
    }
  }
}

/** Where the stack sends to reach a resolved target (TLS: the certificate must match the URI's domain, RFC 5922 §4). */
export function nextHopOf(target: SipTarget): SipNextHop {
  return { transport: target.transport, address: target.address, port: target.port, domain: target.domain };
}

/** A target as events show it: `transport:address:port`. */
export function targetName(target: SipTarget | undefined): string {
  return target ? formatSipTarget(target) : "";
}

/**
 * How a final response counts against its target (RFC 3263 §4.3, RFC 3261 §21.5.4): a local timeout or
 * 408 is `timeout`, a transport failure `transport`, anything else (503 with its Retry-After, or a
 * refusal) `unavailable`.
 */
export function failureOf(response: SipResponse): TargetFailure {
  const detail = `${response.status} ${response.reason}`;
  if (response instanceof SipLocalResponse) {
    if (response.cause === "timeout") return { reason: "timeout", status: 408, detail };
    return {
      reason: "transport",
      status: 503,
      detail: response.error ? errorMessage(response.error) : detail,
    };
  }
  if (response.status === 408) return { reason: "timeout", status: 408, detail };
  const retryAfterS = response.status === 503 ? parseRetryAfter(response.header("retry-after")) : undefined;
  return {
    reason: "unavailable",
    status: response.status,
    detail,
    ...(retryAfterS === undefined ? {} : { retryAfterMs: retryAfterS * 1000 }),
  };
}

/** The delta-seconds of a Retry-After value (`120`, `120 (busy);duration=60`), RFC 3261 §20.33. */
function parseRetryAfter(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^\s*(\d+)/.exec(value);
  return m ? Number(m[1]) : undefined;
}
