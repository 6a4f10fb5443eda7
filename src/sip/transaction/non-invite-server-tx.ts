import type { SipResponse } from "../message/response.ts";
import { ServerTx, type ServerTxState } from "./server-tx.ts";

/** States of the non-INVITE server transaction (RFC 3261 Figure 8). */
export type NonInviteServerTxState = "trying" | "proceeding" | "completed" | "terminated";

/**
 * The non-INVITE server transaction (RFC 3261 §17.2.2):
 *
 * ```
 *   Trying     --1xx--> Proceeding          request retransmission: absorbed in Trying,
 *   Trying/Proceeding --200-699--> Completed  answered with the last response otherwise
 *   Completed  --Timer J (64·T1 on UDP, 0 on TCP)--> Terminated
 * ```
 */
export class NonInviteServerTx extends ServerTx {
  #state: NonInviteServerTxState = "trying";

  get state(): ServerTxState {
    return this.#state;
  }

  respond(response: SipResponse): void {
    this.assertCanRespond(response);
    if (response.status < 200) {
      this.#state = "proceeding";
      this.send(response);
      return;
    }
    this.#state = "completed";
    this.send(response);
    if (this.#state === "completed") {
      this.startTimer(() => this.terminate("normal"), this.reliable ? 0 : 64 * this.context.timers.t1);
    }
  }

  receiveRetransmission(): void {
    if (this.#state === "proceeding" || this.#state === "completed") this.resend();
  }

  protected enterTerminated(): void {
    this.#state = "terminated";
  }
}
