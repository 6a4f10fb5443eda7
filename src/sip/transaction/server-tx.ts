import type { Clock, Logger, TimerHandle } from "../../lib/index.ts";
import { InvalidStateError } from "../../lib/index.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import type { SendTarget } from "../transport/transport.ts";
import type { SipTimers } from "./timers.ts";

/**
 * Server transaction states (RFC 3261 §17.2.1 Figure 7 + RFC 6026 §7.1 `Accepted` for INVITE;
 * §17.2.2 Figure 8 for non-INVITE).
 */
export type ServerTxState = "trying" | "proceeding" | "completed" | "confirmed" | "accepted" | "terminated";

/** Why a server transaction ended. */
export type ServerTxEnd = "normal" | "timeout" | "transport" | "closed";

/** What a server transaction needs from its layer. */
export interface ServerTxContext {
  /** Clock for timers G, H, I, J, L. */
  clock: Clock;
  /** T1/T2/T4. */
  timers: SipTimers;
  /** Logger. */
  logger: Logger;
  /** Serializes and sends a response; `false` on a transport failure. `first` is false for retransmissions. */
  sendResponse(response: SipResponse, target: SendTarget, first: boolean): boolean;
  /** Called once when the transaction reaches Terminated. */
  onTerminated(tx: ServerTx, end: ServerTxEnd): void;
}

/**
 * Shared machinery of the INVITE and non-INVITE server transactions (RFC 3261 §17.2): the request,
 * the response destination, the last response (for retransmissions) and the timers, all on the
 * injected clock.
 */
export abstract class ServerTx {
  /** Transaction key (RFC 3261 §17.2.3). */
  readonly key: string;
  /** The request that created the transaction. */
  readonly request: SipRequest;
  /** Where responses go (RFC 3261 §18.2.2). */
  readonly target: SendTarget;
  /** Whether the transport is reliable (TCP): no retransmission timers, zero-length wait timers. */
  readonly reliable: boolean;
  /** Current state. */
  abstract readonly state: ServerTxState;
  /** The last response sent, if any. */
  lastResponse: SipResponse | undefined;

  protected readonly context: ServerTxContext;
  readonly #timers = new Set<TimerHandle>();

  constructor(key: string, request: SipRequest, target: SendTarget, context: ServerTxContext) {
    this.key = key;
    this.request = request;
    this.target = target;
    this.reliable = target.connectionId !== undefined;
    this.context = context;
  }

  /** Whether a final (≥ 200) response was sent. */
  get finalSent(): boolean {
    return (this.lastResponse?.status ?? 0) >= 200;
  }

  /**
   * Sends a response from the TU through the transaction.
   * @throws InvalidStateError (INVALID_STATE) when a final response was already sent or the
   *   transaction is terminated.
   */
  abstract respond(response: SipResponse): void;

  /** Handles a retransmission of the request (RFC 3261 §17.2.1/§17.2.2). */
  abstract receiveRetransmission(): void;

  /** Ends the transaction (idempotent), clearing every timer. */
  terminate(end: ServerTxEnd): void {
    if (this.state === "terminated") return;
    this.clearTimers();
    this.enterTerminated();
    this.context.onTerminated(this, end);
  }

  /** Sets the state to Terminated (subclasses own their state field). */
  protected abstract enterTerminated(): void;

  /** Sends `response`, remembering it; a transport failure terminates the transaction. */
  protected send(response: SipResponse): boolean {
    this.lastResponse = response;
    return this.#deliver(response, true);
  }

  /** Re-sends the last response (retransmission). */
  protected resend(): void {
    if (this.lastResponse) this.#deliver(this.lastResponse, false);
  }

  /** Starts a one-shot timer on the clock. */
  protected startTimer(fn: () => void, ms: number): TimerHandle {
    const handle = this.context.clock.setTimeout(() => {
      this.#timers.delete(handle);
      fn();
    }, ms);
    this.#timers.add(handle);
    return handle;
  }

  /** Cancels every running timer. */
  protected clearTimers(): void {
    for (const handle of this.#timers) this.context.clock.clearTimer(handle);
    this.#timers.clear();
  }

  /** Throws unless a response may still be sent. */
  protected assertCanRespond(response: SipResponse): void {
    if (this.finalSent || this.state === "terminated") {
      throw new InvalidStateError(
        `cannot send ${response.status} for ${this.request.method}: a final response was already sent`,
      );
    }
  }

  #deliver(response: SipResponse, first: boolean): boolean {
    const ok = this.context.sendResponse(response, this.target, first);
    if (!ok && this.reliable) this.terminate("transport");
    return ok;
  }
}
