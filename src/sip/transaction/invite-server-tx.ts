import type { SipResponse } from "../message/response.ts";
import { ServerTx, type ServerTxState } from "./server-tx.ts";

/** States of the INVITE server transaction (RFC 3261 Figure 7, RFC 6026 Figure 3). */
export type InviteServerTxState = "proceeding" | "completed" | "confirmed" | "accepted" | "terminated";

/**
 * The INVITE server transaction (RFC 3261 §17.2.1, as updated by RFC 6026 §7.1):
 *
 * ```
 *   Proceeding --1xx--> Proceeding         INVITE retransmission: resend last response
 *   Proceeding --2xx--> Accepted            Timer L (64·T1) → Terminated; 2xx retransmitted by the UA core
 *   Proceeding --300-699--> Completed       Timer G (T1, doubling to T2; UDP only) resends;
 *                                           Timer H (64·T1) → Terminated (no ACK)
 *   Completed  --ACK--> Confirmed           Timer I (T4 on UDP, 0 on TCP) → Terminated
 * ```
 * "If the TU does not respond within 200 ms, the server transaction MUST send a 100 (Trying)":
 * we send it at once, on creation.
 */
export class InviteServerTx extends ServerTx {
  #state: InviteServerTxState = "proceeding";

  get state(): ServerTxState {
    return this.#state;
  }

  /** Sends `trying` (the 100) on creation. */
  start(trying: SipResponse): void {
    this.send(trying);
  }

  respond(response: SipResponse): void {
    const t = this.context.timers;
    this.assertCanRespond(response);
    if (response.status < 200) {
      this.send(response);
    } else if (response.status < 300) {
      // RFC 6026 §7.1: the 2xx moves the transaction to Accepted; Timer L absorbs retransmissions.
      this.#state = "accepted";
      this.startTimer(() => this.terminate("normal"), 64 * t.t1);
      this.send(response);
    } else {
      this.#state = "completed";
      if (!this.reliable) this.#startTimerG(t.t1);
      this.startTimer(() => this.terminate("timeout"), 64 * t.t1);
      this.send(response);
    }
  }

  receiveRetransmission(): void {
    if (this.#state === "proceeding" || this.#state === "completed" || this.#state === "accepted")
      this.resend();
  }

  /**
   * Handles an ACK matching this transaction. In Completed it stops retransmissions (→ Confirmed,
   * Timer I); in Accepted (an RFC 2543 peer re-using the branch) it belongs to the TU.
   * @returns whether the ACK must go to the TU (the UA core's dialog).
   */
  receiveAck(): boolean {
    if (this.#state === "accepted") return true;
    if (this.#state !== "completed") return false;
    this.clearTimers();
    this.#state = "confirmed";
    this.startTimer(() => this.terminate("normal"), this.reliable ? 0 : this.context.timers.t4);
    return false;
  }

  protected enterTerminated(): void {
    this.#state = "terminated";
  }

  #startTimerG(interval: number): void {
    this.startTimer(() => {
      if (this.#state !== "completed") return;
      this.resend();
      this.#startTimerG(Math.min(2 * interval, this.context.timers.t2));
    }, interval);
  }
}
