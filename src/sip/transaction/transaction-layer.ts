import type { Clock, Logger } from "../../lib/index.ts";
import { errorMessage } from "../../lib/index.ts";
import { buildResponse } from "../message/build-response.ts";
import { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import { serializeMessage } from "../message/serialize.ts";
import type { SipMessage } from "../message/sip-message.ts";
import type { InboundFlow, SendTarget } from "../transport/transport.ts";
import type { TransportLayer } from "../transport/transport-layer.ts";
import { InviteServerTx } from "./invite-server-tx.ts";
import { NonInviteServerTx } from "./non-invite-server-tx.ts";
import type { ServerTx, ServerTxContext, ServerTxEnd } from "./server-tx.ts";
import type { SipTimers } from "./timers.ts";
import { serverTxKey } from "./tx-key.ts";

/** Options of {@link TransactionLayer}. */
export interface TransactionLayerOptions {
  /** Clock for every transaction timer. */
  clock: Clock;
  /** T1/T2/T4. */
  timers: SipTimers;
  /** Logger. */
  logger: Logger;
  /** `Server` header value added to every response that has none. */
  userAgent?: string;
}

/** Callbacks the UA core registers (notifications go up, calls go down). */
export interface TransactionUser {
  /** A new request with its new server transaction (CANCEL included). */
  onRequest(request: SipRequest, tx: ServerTx, flow: InboundFlow): void;
  /** An ACK that belongs to the UA core (ACK for a 2xx, RFC 3261 §17.2.3 / RFC 6026). */
  onAck(request: SipRequest, flow: InboundFlow): void;
  /** A request without a buildable transaction key (missing/malformed Via, Call-ID, CSeq, From, To). */
  onMalformed(request: SipRequest, reason: string, flow: InboundFlow): void;
  /** A transaction ended (e.g. `transport` failure before a final response). */
  onTerminated(tx: ServerTx, end: ServerTxEnd): void;
}

/**
 * The transaction layer (RFC 3261 §17.2): matches requests to server transactions (§17.2.3),
 * absorbs retransmissions, creates INVITE / non-INVITE server transactions, and hands new requests
 * to the transaction user. Subscribes itself to the transport layer (sipgo `NewTransactionLayer`).
 */
export class TransactionLayer {
  readonly #transport: TransportLayer;
  readonly #options: TransactionLayerOptions;
  readonly #transactions = new Map<string, ServerTx>();
  readonly #context: ServerTxContext;
  #user: TransactionUser | undefined;
  /** Responses sent per status code (first transmissions, stateless included). */
  readonly responsesByStatus: Record<string, number> = {};

  constructor(transport: TransportLayer, options: TransactionLayerOptions) {
    this.#transport = transport;
    this.#options = options;
    this.#context = {
      clock: options.clock,
      timers: options.timers,
      logger: options.logger,
      sendResponse: (response, target, first) => this.#send(response, target, first),
      onTerminated: (tx, end) => {
        if (this.#transactions.get(tx.key) === tx) this.#transactions.delete(tx.key);
        this.#user?.onTerminated(tx, end);
      },
    };
    transport.onMessage((message, flow) => this.#handle(message, flow));
  }

  /** Registers the transaction user (the UA core). */
  setUser(user: TransactionUser): void {
    this.#user = user;
  }

  /** Number of live transactions. */
  get size(): number {
    return this.#transactions.size;
  }

  /** The INVITE server transaction a CANCEL targets (RFC 3261 §9.2: same key with method INVITE). */
  findInvite(cancel: SipRequest): InviteServerTx | undefined {
    const key = serverTxKey(cancel, "INVITE");
    const tx = key.ok ? this.#transactions.get(key.key) : undefined;
    return tx instanceof InviteServerTx ? tx : undefined;
  }

  /** Sends a response outside any transaction (stateless 400 for malformed requests, RFC 3261 §8.2). */
  sendStateless(response: SipResponse, target: SendTarget): void {
    this.#send(response, target, true);
  }

  /** Sends raw response bytes again (2xx retransmission by the UA core, RFC 3261 §13.3.1.4). */
  resendBytes(bytes: Uint8Array, target: SendTarget): boolean {
    return this.#transport.send(bytes, target);
  }

  /** Serializes a response as it goes on the wire (with the `Server` header). */
  serialize(response: SipResponse): Uint8Array {
    const userAgent = this.#options.userAgent;
    if (userAgent !== undefined && !response.headers.has("server"))
      response.headers.append("Server", userAgent);
    return serializeMessage(response);
  }

  /** Terminates every transaction and clears its timers. */
  close(): void {
    for (const tx of [...this.#transactions.values()]) tx.terminate("closed");
    this.#transactions.clear();
  }

  #handle(message: SipMessage, flow: InboundFlow): void {
    if (!(message instanceof SipRequest)) {
      this.#options.logger.debug("dropped response: no client transactions", { status: message.status });
      return;
    }
    const user = this.#user;
    if (!user) return;
    const key = serverTxKey(message);
    if (!key.ok) {
      user.onMalformed(message, key.reason, flow);
      return;
    }
    const existing = this.#transactions.get(key.key);
    if (message.method === "ACK") {
      if (existing instanceof InviteServerTx) {
        if (existing.receiveAck()) user.onAck(message, flow);
      } else {
        user.onAck(message, flow);
      }
      return;
    }
    if (existing) {
      existing.receiveRetransmission();
      return;
    }
    const target = this.#transport.responseTarget(message, flow);
    if (message.method === "INVITE") {
      const tx = new InviteServerTx(key.key, message, target, this.#context);
      this.#transactions.set(key.key, tx);
      tx.start(buildResponse(message, 100));
      if (tx.state !== "terminated") user.onRequest(message, tx, flow);
      return;
    }
    const tx = new NonInviteServerTx(key.key, message, target, this.#context);
    this.#transactions.set(key.key, tx);
    user.onRequest(message, tx, flow);
  }

  #send(response: SipResponse, target: SendTarget, first: boolean): boolean {
    let bytes: Uint8Array;
    try {
      bytes = this.serialize(response);
    } catch (err) {
      this.#options.logger.error("cannot serialize response", { error: errorMessage(err) });
      return false;
    }
    if (first) {
      const status = String(response.status);
      this.responsesByStatus[status] = (this.responsesByStatus[status] ?? 0) + 1;
    }
    return this.#transport.send(bytes, target);
  }
}
