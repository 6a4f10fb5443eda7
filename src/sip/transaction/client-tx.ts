import type { Clock, Logger, TimerHandle } from "../../lib/index.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import type { SendTarget } from "../transport/transport.ts";
import { type LocalResponseCause, SipLocalResponse } from "./local-response.ts";
import type { SipTimers } from "./timers.ts";

/**
 * Client transaction states: INVITE (RFC 3261 §17.1.1 Figure 5 + RFC 6026 §7.2 `Accepted`) and
 * non-INVITE (§17.1.2 Figure 6).
 */
export type ClientTxState = "calling" | "trying" | "proceeding" | "accepted" | "completed" | "terminated";

/** What the transaction user (the UA core or a dialog) hears from a client transaction. */
export interface ClientTxUser {
  /** A provisional (1xx) response. */
  onProvisional?(response: SipResponse): void;
  /**
   * The final response, exactly once: from the peer, or a {@link SipLocalResponse} (408 on Timer B/F,
   * 503 on a transport error, RFC 3261 §8.1.3.1).
   */
  onFinal(response: SipResponse): void;
  /** INVITE only: a retransmitted 2xx while Accepted (RFC 6026 §7.2); the TU re-sends its ACK. */
  onRetransmitted2xx?(response: SipResponse): void;
}

/** What a client transaction needs from its layer. */
export interface ClientTxContext {
  /** Clock for timers A, B, D, E, F, K, M. */
  clock: Clock;
  /** T1/T2/T4. */
  timers: SipTimers;
  /** Logger. */
  logger: Logger;
  /** Sends bytes; `false` when the transport failed (closed connection or socket). */
  send(bytes: Uint8Array, target: SendTarget): boolean;
  /** Serializes a request as it goes on the wire (adds `User-Agent`). */
  serialize(request: SipRequest): Uint8Array;
  /** Called once when the transaction reaches Terminated. */
  onTerminated(tx: ClientTx): void;
}

/**
 * Shared machinery of the INVITE and non-INVITE client transactions (RFC 3261 §17.1): the request and
 * its bytes, where it goes, the timers on the injected clock, and the one-time delivery of the final
 * response to the TU.
 */
export abstract class ClientTx {
  /** Transaction key (RFC 3261 §17.1.3): top Via branch + CSeq method. */
  readonly key: string;
  /** The request as sent (with our Via). */
  readonly request: SipRequest;
  /** Where it is sent. */
  readonly target: SendTarget;
  /** Whether the transport is reliable (TCP/TLS): no retransmissions, zero-length wait timers. */
  readonly reliable: boolean;
  /** Current state. */
  abstract readonly state: ClientTxState;

  protected readonly context: ClientTxContext;
  protected readonly user: ClientTxUser;
  readonly #bytes: Uint8Array;
  readonly #timers = new Set<TimerHandle>();
  #finalDelivered = false;

  constructor(
    key: string,
    request: SipRequest,
    target: SendTarget,
    context: ClientTxContext,
    user: ClientTxUser,
  ) {
    this.key = key;
    this.request = request;
    this.target = target;
    this.reliable = target.connectionId !== undefined;
    this.context = context;
    this.user = user;
    this.#bytes = context.serialize(request);
  }

  /** Sends the request and starts the timers of the initial state. */
  abstract start(): void;

  /** Handles a response matched to this transaction (RFC 3261 §17.1.3). */
  abstract receiveResponse(response: SipResponse): void;

  /** Whether the final response was delivered to the TU. */
  get finalDelivered(): boolean {
    return this.#finalDelivered;
  }

  /**
   * A transport failure (send failed, connection closed): before a final response the TU gets a local
   * 503 and the transaction ends (RFC 3261 §17.1.1.2, §17.1.2.2 "Transport Err."); afterwards it only
   * ends.
   */
  transportError(error: unknown): void {
    if (this.state === "terminated") return;
    this.failLocally("transport", error);
  }

  /** Ends the transaction (idempotent), clearing every timer; the TU hears nothing more. */
  terminate(): void {
    if (this.state === "terminated") return;
    this.clearTimers();
    this.enterTerminated();
    this.context.onTerminated(this);
  }

  /** Sets the state to Terminated (subclasses own their state field). */
  protected abstract enterTerminated(): void;

  /** Delivers `response` as the final response unless one was delivered already. */
  protected deliverFinal(response: SipResponse): void {
    if (this.#finalDelivered) return;
    this.#finalDelivered = true;
    this.user.onFinal(response);
  }

  /** Ends the transaction with a made-up final response (408 / 503 / 487). */
  protected failLocally(cause: LocalResponseCause, error?: unknown): void {
    this.terminate();
    this.deliverFinal(new SipLocalResponse(this.request, cause, error));
  }

  /** Sends (or re-sends) the request; a failure ends the transaction with a local 503. */
  protected sendRequest(): boolean {
    const ok = this.context.send(this.#bytes, this.target);
    if (!ok) this.failLocally("transport", new Error("send failed"));
    return ok;
  }

  /** Sends other bytes to the same target (the ACK of a non-2xx final response). */
  protected sendOther(bytes: Uint8Array): void {
    this.context.send(bytes, this.target);
  }

  /** Starts a one-shot timer on the clock. */
  protected startTimer(fn: () => void, ms: number): void {
    const handle = this.context.clock.setTimeout(() => {
      this.#timers.delete(handle);
      fn();
    }, ms);
    this.#timers.add(handle);
  }

  /** Cancels every running timer. */
  protected clearTimers(): void {
    for (const handle of this.#timers) this.context.clock.clearTimer(handle);
    this.#timers.clear();
  }
}
