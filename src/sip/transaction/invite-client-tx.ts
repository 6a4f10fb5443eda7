import { headerKey, SipHeaderList } from "../message/headers.ts";
import { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import { ClientTx, type ClientTxState } from "./client-tx.ts";

/**
 * The INVITE client transaction (RFC 3261 §17.1.1, Figure 5, as updated by RFC 6026 §7.2):
 *
 * ```
 *   Calling    --Timer A (UDP only: T1, doubling)--> resend INVITE
 *   Calling    --Timer B (64·T1)--> Terminated, the TU gets a local 408
 *   Calling/Proceeding --1xx--> Proceeding   1xx to the TU (no retransmissions from here on)
 *   Calling/Proceeding --2xx--> Accepted     2xx to the TU, which sends the ACK itself (§13.2.2.4);
 *                                           retransmitted 2xx go to the TU too, which re-sends that
 *                                           ACK; Timer M (64·T1) → Terminated
 *   Calling/Proceeding --300-699--> Completed  the transaction sends the ACK (same branch, §17.1.1.3)
 *                                           and the response goes to the TU; each retransmission of
 *                                           it is ACKed again; Timer D → Terminated
 *   any        --transport error--> Terminated, the TU gets a local 503
 * ```
 * RFC 3261 doubles Timer A without a cap (the T2 cap is Timer E's); Timer B bounds it to 7 sends.
 * Timer D is "at least 32 s" on UDP: we use 64·T1 (32 s at the default T1, and it scales with a test
 * T1); 0 on TCP/TLS.
 */
export class InviteClientTx extends ClientTx {
  #state: ClientTxState = "calling";
  // The ACK of the non-2xx final response, re-sent for each retransmission of it.
  #ack: Uint8Array | undefined;

  get state(): ClientTxState {
    return this.#state;
  }

  start(): void {
    const t = this.context.timers;
    this.startTimer(() => {
      if (this.#state === "calling") this.failLocally("timeout");
    }, 64 * t.t1);
    if (!this.sendRequest()) return;
    if (!this.reliable) this.#startTimerA(t.t1);
  }

  /**
   * Gives up `ms` from now unless a final response arrived by then: the TU gets a local 408. Used after
   * CANCEL (RFC 3261 §9.1: with no final response 64·T1 after the CANCEL, the INVITE is considered
   * terminated).
   */
  expireAfter(ms: number): void {
    this.startTimer(() => {
      if (this.#state === "calling" || this.#state === "proceeding") this.failLocally("timeout");
    }, ms);
  }

  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this.#state) {
      case "calling":
      case "proceeding":
        if (status < 200) this.#provisional(response);
        else if (status < 300) this.#accepted(response);
        else this.#completed(response);
        return;
      case "accepted":
        if (status >= 200 && status < 300) this.user.onRetransmitted2xx?.(response);
        return;
      case "completed":
        if (status >= 300 && this.#ack) this.sendOther(this.#ack);
        return;
      default:
        return;
    }
  }

  protected enterTerminated(): void {
    this.#state = "terminated";
  }

  #provisional(response: SipResponse): void {
    if (this.#state === "calling") {
      this.clearTimers();
      this.#state = "proceeding";
    }
    this.user.onProvisional?.(response);
  }

  #accepted(response: SipResponse): void {
    this.clearTimers();
    this.#state = "accepted";
    this.startTimer(() => this.terminate(), 64 * this.context.timers.t1);
    this.deliverFinal(response);
  }

  #completed(response: SipResponse): void {
    this.clearTimers();
    this.#state = "completed";
    this.#ack = this.context.serialize(non2xxAck(this.request, response));
    this.sendOther(this.#ack);
    if (this.reliable) this.terminate();
    else this.startTimer(() => this.terminate(), 64 * this.context.timers.t1);
    this.deliverFinal(response);
  }

  #startTimerA(interval: number): void {
    this.startTimer(() => {
      if (this.#state !== "calling") return;
      if (this.sendRequest()) this.#startTimerA(2 * interval);
    }, interval);
  }
}

/** Headers a non-2xx ACK copies from its INVITE (To comes from the response). */
const ackCopies: ReadonlySet<string> = new Set(["from", "call-id", "route"]);

/**
 * The headers an ACK or a CANCEL takes from its INVITE (RFC 3261 §9.1, §17.1.1.3): the INVITE's top
 * Via alone (same branch, so it reaches the same server transaction), `Max-Forwards: 70`, then the
 * headers whose lower-case names are in `copy`, in the INVITE's order.
 */
export function headersFromInvite(invite: SipRequest, copy: ReadonlySet<string>): SipHeaderList {
  const headers = new SipHeaderList();
  const topVia = invite.via[0];
  if (topVia) headers.append("Via", topVia.raw);
  headers.append("Max-Forwards", "70");
  for (const [name, value] of invite.headers) if (copy.has(headerKey(name))) headers.append(name, value);
  return headers;
}

/**
 * The ACK of a non-2xx final response (RFC 3261 §17.1.1.3): Request-URI, Call-ID, From, top Via
 * (same branch) and Route of the INVITE, To of the response (with its tag), CSeq number of the INVITE
 * with method ACK, no body.
 */
export function non2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers = headersFromInvite(invite, ackCopies);
  headers.append("To", response.headers.get("to") ?? invite.headers.get("to") ?? "");
  headers.append("CSeq", `${invite.cseq?.seq ?? 1} ACK`);
  headers.append("Content-Length", "0");
  return new SipRequest("ACK", invite.uri, { headers });
}
