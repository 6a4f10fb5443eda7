import { isIPv6 } from "node:net";
import { type Logger, TypedEmitter } from "../../lib/index.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import type { ClientTx } from "../transaction/client-tx.ts";
import { InviteClientTx } from "../transaction/invite-client-tx.ts";
import { SipLocalResponse } from "../transaction/local-response.ts";
import type { SipTimers } from "../transaction/timers.ts";
import type { TransactionLayer } from "../transaction/transaction-layer.ts";
import { SipTransportError } from "../transport/errors.ts";
import { formatNextHop, type SipNextHop } from "../transport/next-hop.ts";
import type { OutboundFlow } from "../transport/transport-layer.ts";
import { buildCancel } from "./request-builder.ts";
import type { ClientRequest, ClientRequestEvents } from "./uac-types.ts";

/** What a {@link ClientRequestImpl} needs from the stack. */
export interface ClientRequestContext {
  /** The transaction layer (opens flows, runs client transactions). */
  transactions: TransactionLayer;
  /** T1 (the CANCEL guard is 64·T1). */
  timers: SipTimers;
  /** Logger. */
  logger: Logger;
}

/** Builds the request once the flow (our Via/Contact address) is known. */
export type RequestBuild = (flow: OutboundFlow) => SipRequest;

/** A flow stand-in used to build the request for a local 503 when the target could not be reached. */
function unreachableFlow(target: SipNextHop): OutboundFlow {
  const address = isIPv6(target.address) ? "::" : "0.0.0.0";
  const sendTarget = {
    listener: -1,
    transport: target.transport,
    address: target.address,
    port: target.port,
  };
  return { target, sendTarget, local: { transport: target.transport, address, port: 0 } };
}

/**
 * One request in its client transaction: opens (or reuses) the flow to the target, builds and sends the
 * request, emits provisional responses, and resolves `final` exactly once. For an INVITE it also runs
 * CANCEL (RFC 3261 §9.1: only once a provisional response arrived).
 */
export class ClientRequestImpl extends TypedEmitter<ClientRequestEvents> implements ClientRequest {
  readonly final: Promise<SipResponse>;
  readonly #context: ClientRequestContext;
  readonly #onRetransmitted2xx: ((response: SipResponse) => void) | undefined;
  #resolve: (response: SipResponse) => void = () => {};
  #flow: OutboundFlow | undefined;
  #sent: SipRequest | undefined;
  #tx: ClientTx | undefined;
  #cancel: "none" | "wanted" | "sent" = "none";
  #provisional = false;
  #done = false;

  /** @internal Created by the stack; call {@link ClientRequestImpl.start}. */
  constructor(context: ClientRequestContext, onRetransmitted2xx?: (response: SipResponse) => void) {
    super();
    this.#context = context;
    this.#onRetransmitted2xx = onRetransmitted2xx;
    this.final = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** The request as sent (with our Via), once sent. */
  get sent(): SipRequest | undefined {
    return this.#sent;
  }

  /** The flow it went over, once open. */
  get flow(): OutboundFlow | undefined {
    return this.#flow;
  }

  /**
   * Opens the flow to `target`, builds the request with `build` and starts its client transaction. A
   * `sips:` Request-URI over a hop that is not TLS is refused with a local 503 (RFC 3261 §26.2.2).
   */
  async start(target: SipNextHop, build: RequestBuild): Promise<void> {
    let flow: OutboundFlow;
    try {
      flow = await this.#context.transactions.open(target);
    } catch (err) {
      this.#finish(new SipLocalResponse(build(unreachableFlow(target)), "transport", err));
      return;
    }
    const request = build(flow);
    if (request.uri.toLowerCase().startsWith("sips:") && target.transport !== "tls") {
      const error = new SipTransportError(`a sips: request must go over TLS, not ${formatNextHop(target)}`);
      this.#finish(new SipLocalResponse(request, "transport", error));
      return;
    }
    if (this.#cancel === "wanted") {
      this.#finish(new SipLocalResponse(request, "cancelled"));
      return;
    }
    this.#flow = flow;
    this.#sent = request;
    this.#tx = this.#context.transactions.startClient(request, flow, {
      onProvisional: (response) => this.#onProvisional(response),
      onFinal: (response) => this.#finish(response),
      onRetransmitted2xx: (response) => this.#onRetransmitted2xx?.(response),
    });
  }

  /**
   * Cancels a pending INVITE (RFC 3261 §9.1): not sent yet → local 487; no provisional response yet →
   * the CANCEL waits for one; otherwise it is sent now, and the INVITE is given up 64·T1 later if no
   * final response comes. No effect once a final response arrived.
   */
  cancel(): void {
    if (this.#done || this.#cancel !== "none") return;
    this.#cancel = "wanted";
    if (this.#provisional) this.#sendCancel();
  }

  #onProvisional(response: SipResponse): void {
    this.#provisional = true;
    if (this.#cancel === "wanted") this.#sendCancel();
    this.safeEmit("provisional", response);
  }

  #sendCancel(): void {
    const invite = this.#sent;
    const flow = this.#flow;
    const tx = this.#tx;
    if (!invite || !flow || this.#done) return;
    this.#cancel = "sent";
    const logger = this.#context.logger;
    this.#context.transactions.startClient(buildCancel(invite), flow, {
      onFinal: (response) => logger.debug("CANCEL answered", { status: response.status }),
    });
    if (tx instanceof InviteClientTx) tx.expireAfter(64 * this.#context.timers.t1);
  }

  #finish(response: SipResponse): void {
    if (this.#done) return;
    this.#done = true;
    this.#resolve(response);
  }
}
