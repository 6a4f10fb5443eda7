import type { SipResponse } from "../message/response.ts";
import { ClientTx, type ClientTxState } from "./client-tx.ts";

/**
 * The non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6), for BYE, CANCEL, OPTIONS, INFO,
 * UPDATE and the like:
 *
 * ```
 *   Trying     --Timer E (UDP: T1, doubling up to T2)--> resend request
 *   Trying     --1xx--> Proceeding           Timer E keeps firing, every T2
 *   Trying/Proceeding --200-699--> Completed  final response to the TU; Timer K (T4 on UDP, 0 on
 *                                            TCP/TLS) absorbs response retransmissions → Terminated
 *   Trying/Proceeding --Timer F (64·T1)--> Terminated, the TU gets a local 408
 *   any        --transport error--> Terminated, the TU gets a local 503
 * ```
 */
export class NonInviteClientTx extends ClientTx {
  #state: ClientTxState = "trying";

  get state(): ClientTxState {
    return this.#state;
  }

  start(): void {
    const t = this.context.timers;
    this.startTimer(() => this.failLocally("timeout"), 64 * t.t1);
    if (!this.sendRequest()) return;
    if (!this.reliable) this.#startTimerE(t.t1);
  }

  receiveResponse(response: SipResponse): void {
    if (this.#state !== "trying" && this.#state !== "proceeding") return;
    if (response.status < 200) {
      this.#state = "proceeding";
      this.user.onProvisional?.(response);
      return;
    }
    this.clearTimers();
    this.#state = "completed";
    if (this.reliable) this.terminate();
    else this.startTimer(() => this.terminate(), this.context.timers.t4);
    this.deliverFinal(response);
  }

  protected enterTerminated(): void {
    this.#state = "terminated";
  }

  #startTimerE(interval: number): void {
    this.startTimer(() => {
      if (this.#state !== "trying" && this.#state !== "proceeding") return;
      if (!this.sendRequest()) return;
      const t2 = this.context.timers.t2;
      this.#startTimerE(this.#state === "proceeding" ? t2 : Math.min(2 * interval, t2));
    }, interval);
  }
}
