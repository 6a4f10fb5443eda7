import { type Clock, type TimerHandle, TypedEmitter } from "../../lib/index.ts";
import type { SipResponse } from "../message/response.ts";
import { SipLocalResponse } from "../transaction/local-response.ts";
import type { SipNextHop } from "../transport/next-hop.ts";
import { uriHost } from "./request-builder.ts";
import type {
  ClientRequest,
  OptionsPinger,
  OptionsPingerEvents,
  OutgoingRequestInit,
  PeerState,
  PingOptions,
} from "./uac-types.ts";

/** Sends one out-of-dialog request (the stack's `request`). */
export type SendRequest = (target: SipNextHop, init: OutgoingRequestInit) => ClientRequest;

/** The default Request-URI of a ping: the target's address, `sips:` for TLS, `;transport=tcp` for TCP. */
function pingUri(target: SipNextHop): string {
  const host = `${uriHost(target.address)}:${target.port}`;
  if (target.transport === "tls") return `sips:${host}`;
  return target.transport === "tcp" ? `sip:${host};transport=tcp` : `sip:${host}`;
}

/** The default up/down rule (see {@link PingOptions.isUp}). */
export function defaultIsUp(response: SipResponse): boolean {
  return !(response instanceof SipLocalResponse) && response.status !== 408 && response.status !== 503;
}

/**
 * Pings one target with OPTIONS (RFC 3261 §11) at a fixed interval, as SBCs watch their SRSs (Oracle
 * `ping-method OPTIONS` / `ping-interval`, OpenSIPS dispatcher probing): the next OPTIONS leaves
 * `intervalMs` after the previous one left, or as soon as it completes when it took longer, so at
 * most one is in flight. Emits `change` when the up/down state changes (and on the first answer).
 */
export class OptionsPingerImpl extends TypedEmitter<OptionsPingerEvents> implements OptionsPinger {
  readonly target: SipNextHop;
  readonly #send: SendRequest;
  readonly #clock: Clock;
  readonly #options: PingOptions;
  readonly #isUp: (response: SipResponse) => boolean;
  #state: PeerState = "unknown";
  #timer: TimerHandle | undefined;
  #stopped = false;

  /** @internal Created by `SipStack.ping`; starts at once. */
  constructor(target: SipNextHop, options: PingOptions, send: SendRequest, clock: Clock) {
    super();
    this.target = target;
    this.#options = options;
    this.#send = send;
    this.#clock = clock;
    this.#isUp = options.isUp ?? defaultIsUp;
    void this.#ping();
  }

  get state(): PeerState {
    return this.#state;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.safeEmit("@stopped");
  }

  async #ping(): Promise<void> {
    if (this.#stopped) return;
    const started = this.#clock.now();
    const uri = this.#options.uri ?? pingUri(this.target);
    const request = this.#send(this.target, {
      method: "OPTIONS",
      uri,
      ...(this.#options.from === undefined ? {} : { from: this.#options.from }),
      headers: { Accept: "application/sdp" },
    });
    const response = await request.final;
    if (this.#stopped) return;
    this.safeEmit("response", response);
    const state = !(response instanceof SipLocalResponse) && this.#isUp(response) ? "up" : "down";
    if (state !== this.#state) {
      this.#state = state;
      this.safeEmit("change", state, response);
    }
    const wait = Math.max(0, this.#options.intervalMs - (this.#clock.now() - started));
    this.#timer = this.#clock.setTimeout(() => void this.#ping(), wait);
  }
}
