import type { Clock, TimerHandle } from "../../lib/index.ts";
import type { SipRequest, SipResponse } from "../../sip/index.ts";
import type { SipChannel } from "./sip-channel.ts";

/** RFC 3261 §17.1.1.1 timer values, in ms. */
export interface UacTimers {
  /** RTT estimate: first retransmission interval. @default 500 */
  t1Ms: number;
  /** Longest non-INVITE retransmission interval. @default 4000 */
  t2Ms: number;
}

/** RFC 3261 defaults: T1 = 500 ms, T2 = 4 s. */
export const defaultUacTimers: UacTimers = { t1Ms: 500, t2Ms: 4000 };

/**
 * A minimal UAC client transaction (RFC 3261 §17.1): sends the request, retransmits it over UDP
 * (INVITE: Timer A, doubling from T1; other methods: Timer E, doubling up to T2, then every T2 once
 * a provisional arrived), stops retransmitting an INVITE at the first response, and gives up when no
 * final response came within 64·T1 (Timer B / Timer F: 32 s by default). Over TCP nothing is
 * retransmitted.
 *
 * Responses are fed in by the owner through {@link UacTransaction.receive} (matched on the top Via
 * branch); `final` resolves with the first final response, or `undefined` on timeout.
 */
export class UacTransaction {
  /** Resolves with the final response (≥ 200), or `undefined` after 64·T1 without one. */
  readonly final: Promise<SipResponse | undefined>;
  readonly #channel: SipChannel;
  readonly #request: SipRequest;
  readonly #clock: Clock;
  readonly #timers: UacTimers;
  readonly #isInvite: boolean;
  readonly #onProvisional: ((response: SipResponse) => void) | undefined;
  #resolve!: (response: SipResponse | undefined) => void;
  #interval: number;
  #provisional = false;
  #retransmitTimer: TimerHandle | undefined;
  #timeoutTimer: TimerHandle | undefined;
  #finished = false;

  /** Sends `request` at once. `onProvisional` sees every 1xx. */
  constructor(
    channel: SipChannel,
    request: SipRequest,
    options: { clock: Clock; timers: UacTimers; onProvisional?: (response: SipResponse) => void },
  ) {
    this.#channel = channel;
    this.#request = request;
    this.#clock = options.clock;
    this.#timers = options.timers;
    this.#isInvite = request.method === "INVITE";
    this.#onProvisional = options.onProvisional;
    this.#interval = options.timers.t1Ms;
    this.final = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    channel.send(request);
    if (channel.viaTransport === "UDP") this.#scheduleRetransmit();
    this.#timeoutTimer = this.#clock.setTimeout(() => this.#finish(undefined), 64 * options.timers.t1Ms);
  }

  /** The branch of the request's top Via, which responses echo (RFC 3261 §17.1.3). */
  get branch(): string {
    return this.#request.via[0]?.branch ?? "";
  }

  /** Feeds a response whose top Via carries this transaction's branch. */
  receive(response: SipResponse): void {
    if (this.#finished) return;
    if (response.status >= 200) {
      this.#finish(response);
      return;
    }
    this.#provisional = true;
    if (this.#isInvite) {
      this.#clock.clearTimer(this.#retransmitTimer);
      this.#retransmitTimer = undefined;
    }
    this.#onProvisional?.(response);
  }

  /** Stops the timers; `final` resolves with `undefined` if it had not resolved. Idempotent. */
  cancel(): void {
    this.#finish(undefined);
  }

  #scheduleRetransmit(): void {
    this.#retransmitTimer = this.#clock.setTimeout(() => {
      if (this.#finished || (this.#isInvite && this.#provisional)) return;
      this.#channel.send(this.#request);
      const doubled = this.#interval * 2;
      this.#interval = this.#isInvite
        ? doubled
        : this.#provisional
          ? this.#timers.t2Ms
          : Math.min(doubled, this.#timers.t2Ms);
      this.#scheduleRetransmit();
    }, this.#interval);
  }

  #finish(response: SipResponse | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clock.clearTimer(this.#retransmitTimer);
    this.#clock.clearTimer(this.#timeoutTimer);
    this.#resolve(response);
  }
}
