import type { Clock, Logger } from "../../lib/index.ts";
import { errorMessage } from "../../lib/index.ts";
import { buildResponse } from "../message/build-response.ts";
import { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import { serializeMessage } from "../message/serialize.ts";
import type { SipMessage } from "../message/sip-message.ts";
import { SipTransportError } from "../transport/errors.ts";
import type { SipNextHop } from "../transport/next-hop.ts";
import type { InboundFlow, SendTarget } from "../transport/transport.ts";
import type { OutboundFlow, TransportLayer } from "../transport/transport-layer.ts";
import type { ClientTx, ClientTxContext, ClientTxUser } from "./client-tx.ts";
import { InviteClientTx } from "./invite-client-tx.ts";
import { InviteServerTx } from "./invite-server-tx.ts";
import { NonInviteClientTx } from "./non-invite-client-tx.ts";
import { NonInviteServerTx } from "./non-invite-server-tx.ts";
import type { ServerTx, ServerTxContext, ServerTxEnd } from "./server-tx.ts";
import type { SipTimers } from "./timers.ts";
import { clientTxKey, newBranch, serverTxKey } from "./tx-key.ts";

/** Options of {@link TransactionLayer}. */
export interface TransactionLayerOptions {
  /** Clock for every transaction timer. */
  clock: Clock;
  /** T1/T2/T4. */
  timers: SipTimers;
  /** Logger. */
  logger: Logger;
  /** `Server` header value added to every response that has none, `User-Agent` to every request. */
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
  /**
   * A response that matches no client transaction (RFC 3261 §17.1.3). A 2xx to an INVITE whose
   * transaction has ended still needs its ACK re-sent by the dialog (§13.2.2.4).
   */
  onStrayResponse?(response: SipResponse): void;
}

/**
 * The transaction layer (RFC 3261 §17): matches requests to server transactions (§17.2.3), absorbs
 * retransmissions, creates INVITE / non-INVITE server transactions and hands new requests to the
 * transaction user; runs client transactions (§17.1) and matches responses to them (§17.1.3).
 * Subscribes itself to the transport layer (sipgo `NewTransactionLayer`).
 */
export class TransactionLayer {
  readonly #transport: TransportLayer;
  readonly #options: TransactionLayerOptions;
  readonly #transactions = new Map<string, ServerTx>();
  readonly #context: ServerTxContext;
  readonly #clients = new Map<string, ClientTx>();
  readonly #clientContext: ClientTxContext;
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
    this.#clientContext = {
      clock: options.clock,
      timers: options.timers,
      logger: options.logger,
      send: (bytes, target) => this.#transport.send(bytes, target),
      serialize: (request) => this.serializeRequest(request),
      onTerminated: (tx) => {
        if (this.#clients.get(tx.key) === tx) this.#clients.delete(tx.key);
      },
    };
    transport.onMessage((message, flow) => this.#handle(message, flow));
    transport.onConnectionClosed((flow) => this.#connectionClosed(flow));
  }

  /** Registers the transaction user (the UA core). */
  setUser(user: TransactionUser): void {
    this.#user = user;
  }

  /** Number of live transactions, server and client. */
  get size(): number {
    return this.#transactions.size + this.#clients.size;
  }

  /**
   * Finds or opens the way to `target` (see {@link TransportLayer.open}).
   * @throws SipTransportError (SIP_TRANSPORT) when it cannot be reached (callers answer a local 503).
   */
  open(target: SipNextHop): Promise<OutboundFlow> {
    return this.#transport.open(target);
  }

  /**
   * Starts a client transaction (RFC 3261 §17.1) for `request` over `flow`: INVITE gets an INVITE
   * client transaction, anything else (but ACK) a non-INVITE one. A top Via with a new branch and
   * `rport` (RFC 3581) is added unless the request has a Via already (a CANCEL carries its INVITE's,
   * RFC 3261 §9.1).
   */
  startClient(request: SipRequest, flow: OutboundFlow, user: ClientTxUser): ClientTx {
    if (!request.headers.has("via")) request.headers.prepend("Via", viaValue(flow, newBranch()));
    const key = clientTxKey(request) ?? "";
    const tx =
      request.method === "INVITE"
        ? new InviteClientTx(key, request, flow.sendTarget, this.#clientContext, user)
        : new NonInviteClientTx(key, request, flow.sendTarget, this.#clientContext, user);
    this.#clients.set(key, tx);
    tx.start();
    return tx;
  }

  /**
   * Sends the ACK of a 2xx (RFC 3261 §13.2.2.4): outside any transaction, with a Via of its own
   * (new branch). Returns a function that sends the same bytes again, for each retransmission of the
   * 2xx.
   */
  sendAck(ack: SipRequest, flow: OutboundFlow): () => void {
    ack.headers.delete("via");
    ack.headers.prepend("Via", viaValue(flow, newBranch()));
    const bytes = this.serializeRequest(ack);
    const send = (): void => {
      this.#transport.send(bytes, flow.sendTarget);
    };
    send();
    return send;
  }

  /** Serializes a request as it goes on the wire (with the `User-Agent` header). */
  serializeRequest(request: SipRequest): Uint8Array {
    const userAgent = this.#options.userAgent;
    if (userAgent !== undefined && !request.headers.has("user-agent"))
      request.headers.append("User-Agent", userAgent);
    return serializeMessage(request);
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

  /** Terminates every transaction and clears its timers; pending client requests get a local 503. */
  close(): void {
    for (const tx of [...this.#transactions.values()]) tx.terminate("closed");
    this.#transactions.clear();
    for (const tx of [...this.#clients.values()]) tx.transportError(new SipTransportError("stack closed"));
    this.#clients.clear();
  }

  /** A response: to its client transaction (RFC 3261 §17.1.3), else to the TU as stray. */
  #handleResponse(response: SipResponse): void {
    const key = clientTxKey(response);
    const tx = key === undefined ? undefined : this.#clients.get(key);
    if (tx) {
      tx.receiveResponse(response);
      return;
    }
    if (this.#user?.onStrayResponse) this.#user.onStrayResponse(response);
    else this.#options.logger.debug("dropped response without transaction", { status: response.status });
  }

  /** A TCP/TLS connection closed: client transactions waiting on it fail with a local 503. */
  #connectionClosed(flow: InboundFlow): void {
    for (const tx of [...this.#clients.values()]) {
      const target = tx.target;
      if (target.listener === flow.listener && target.connectionId === flow.connectionId) {
        tx.transportError(new SipTransportError("connection closed before the final response"));
      }
    }
  }

  #handle(message: SipMessage, flow: InboundFlow): void {
    if (!(message instanceof SipRequest)) {
      this.#handleResponse(message);
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

/** The Via of a request we send over `flow` (RFC 3261 §8.1.1.7, §18.1.1; `rport` per RFC 3581 §3). */
function viaValue(flow: OutboundFlow, branch: string): string {
  const { address, port } = flow.local;
  const host = address.includes(":") ? `[${address}]` : address;
  return `SIP/2.0/${flow.target.transport.toUpperCase()} ${host}:${port};branch=${branch};rport`;
}
