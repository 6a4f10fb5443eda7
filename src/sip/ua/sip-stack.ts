import {
  errorCode,
  errorMessage,
  type Logger,
  randomHex,
  silentLogger,
  systemClock,
} from "../../lib/index.ts";
import { DialogLayer } from "../dialog/dialog-layer.ts";
import { buildResponse } from "../message/build-response.ts";
import type { SipParseError } from "../message/errors.ts";
import { defaultMaxMessageBytes } from "../message/parser.ts";
import { SipRequest } from "../message/request.ts";
import type { ServerTx, ServerTxEnd } from "../transaction/server-tx.ts";
import { resolveTimers } from "../transaction/timers.ts";
import { TransactionLayer } from "../transaction/transaction-layer.ts";
import type { ListenSpec } from "../transport/listen-spec.ts";
import type { InboundFlow } from "../transport/transport.ts";
import { TransportLayer } from "../transport/transport-layer.ts";
import { SipStatusError } from "./errors.ts";
import { IncomingRequestImpl } from "./incoming-request.ts";
import type { RequestHandler, SipStack, SipStackOptions, SipStats } from "./sip-stack-types.ts";

/** Default idle timeout of TCP connections, ms. */
const defaultTcpIdleTimeoutMs = 300_000;

/** Methods the stack answers itself (never passed to handlers). */
const internalMethods = new Set(["ACK", "CANCEL"]);

/**
 * Creates a SIP UAS stack (RFC 3261): UDP/TCP listeners, server transactions (§17.2), dialogs (§12)
 * and a method router with one handler per method. Call `start()` to bind.
 */
export function createSipStack(options: SipStackOptions): SipStack {
  return new SipStackImpl(options);
}

/** Turns free text into a safe one-line reason phrase. */
function reasonFrom(text: string): string {
  let out = "";
  for (const ch of text.slice(0, 120)) out += ch.charCodeAt(0) < 0x20 || ch === "\x7f" ? " " : ch;
  return out;
}

/**
 * The UA core (RFC 3261 §8.2, §9.2, §12, §13.3): routes new requests to handlers, answers what no
 * handler may (405, 481, 487/200 for CANCEL, 505, stateless 400), and turns handler errors into
 * final responses in exactly one place (`#run`).
 */
class SipStackImpl implements SipStack {
  readonly #logger: Logger;
  readonly #transport: TransportLayer;
  readonly #transactions: TransactionLayer;
  readonly #dialogs: DialogLayer;
  readonly #handlers = new Map<string, RequestHandler>();
  // Handler-visible requests of live INVITE transactions (for CANCEL and transport failures).
  readonly #pending = new Map<ServerTx, IncomingRequestImpl>();
  // Requests that could not be answered at all (no addressable Via).
  #dropped = 0;
  #state: "new" | "started" | "closed" = "new";

  constructor(options: SipStackOptions) {
    const clock = options.clock ?? systemClock;
    const timers = resolveTimers(options.timers);
    this.#logger = (options.logger ?? silentLogger).child({ component: "sip" });
    this.#transport = new TransportLayer({
      listen: options.listen,
      clock,
      logger: this.#logger,
      maxMessageBytes: options.maxMessageBytes ?? defaultMaxMessageBytes,
      idleTimeoutMs: options.tcpIdleTimeoutMs ?? defaultTcpIdleTimeoutMs,
    });
    this.#transactions = new TransactionLayer(this.#transport, {
      clock,
      timers,
      logger: this.#logger,
      ...(options.userAgent === undefined ? {} : { userAgent: options.userAgent }),
    });
    this.#transactions.setUser({
      onRequest: (request, tx, flow) => this.#onNewRequest(request, tx, flow),
      onAck: (request) => this.#onAck(request),
      onMalformed: (request, reason, flow) => this.#rejectStateless(request, reason, flow, true),
      onTerminated: (tx, end) => this.#onTxTerminated(tx, end),
    });
    this.#dialogs = new DialogLayer({ clock, timers });
    this.#transport.onParseError((error, flow) => this.#onParseError(error, flow));
  }

  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "started";
    await this.#transport.start();
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#transactions.close();
    for (const incoming of this.#pending.values()) incoming.abort("closed");
    this.#pending.clear();
    this.#dialogs.closeAll("closed");
    await this.#transport.close();
  }

  listening(): ListenSpec[] {
    return this.#transport.listening();
  }

  onRequest(method: string, handler: RequestHandler): void {
    if (internalMethods.has(method)) throw new TypeError(`${method} is handled by the SIP stack itself`);
    this.#handlers.set(method, handler);
  }

  stats(): SipStats {
    return {
      parseErrors: this.#transport.parseErrors + this.#dropped,
      messagesIn: this.#transport.messagesIn,
      requestsByMethod: { ...this.#transport.requestsByMethod },
      responsesByStatus: { ...this.#transactions.responsesByStatus },
    };
  }

  /** A new request with its server transaction: version check, CANCEL, dialog match, routing. */
  #onNewRequest(request: SipRequest, tx: ServerTx, flow: InboundFlow): void {
    if (request.version.toUpperCase() !== "SIP/2.0") {
      tx.respond(buildResponse(request, 505, undefined, { toTag: randomHex(6) }));
      return;
    }
    if (request.method === "CANCEL") {
      this.#cancel(request, tx);
      return;
    }
    const dialog = this.#dialogs.match(request);
    const toTag = request.to?.tag;
    if (toTag !== undefined && !dialog) {
      tx.respond(buildResponse(request, 481));
      return;
    }
    const handler = this.#handlers.get(request.method);
    const incoming = new IncomingRequestImpl(request, tx, flow, dialog, toTag ?? randomHex(6), {
      createDialog: (invite, localTag) => this.#dialogs.create(invite, localTag),
      retransmitUntilAck: (target, response, serverTx) => {
        const bytes = this.#transactions.serialize(response);
        target.awaitAck(request.cseq?.seq ?? 0, () => this.#transactions.resendBytes(bytes, serverTx.target));
      },
    });
    if (!handler) {
      this.#noHandler(incoming);
      return;
    }
    if (request.method === "INVITE") this.#pending.set(tx, incoming);
    void this.#run(incoming, handler);
  }

  /** An ACK for a 2xx confirms its dialog; it never reaches handlers. */
  #onAck(request: SipRequest): void {
    const dialog = this.#dialogs.match(request);
    if (dialog) dialog.receiveAck(request.cseq?.seq ?? -1);
    else this.#logger.debug("dropped ACK without dialog", { callId: request.headers.get("call-id") });
  }

  /** A transaction ended; a pending INVITE that lost its transport (or the stack) is aborted. */
  #onTxTerminated(tx: ServerTx, end: ServerTxEnd): void {
    const incoming = this.#pending.get(tx);
    if (!incoming) return;
    this.#pending.delete(tx);
    if (end === "transport" || end === "closed") incoming.abort(end);
  }

  async #run(incoming: IncomingRequestImpl, handler: RequestHandler): Promise<void> {
    const request = incoming.message;
    try {
      await handler(incoming);
    } catch (err) {
      if (incoming.finished) {
        this.#logger.debug("handler failed after its response", {
          method: request.method,
          error: errorMessage(err),
        });
      } else if (err instanceof SipStatusError) {
        this.#replySafely(incoming, err.status, err.reason, err.headers);
      } else {
        this.#logger.error("request handler failed", {
          method: request.method,
          callId: request.headers.get("call-id"),
          code: errorCode(err),
          error: errorMessage(err),
        });
        this.#replySafely(incoming, 500);
      }
      return;
    }
    if (!incoming.finished) {
      this.#logger.warn("handler returned without a final response", {
        method: request.method,
        callId: request.headers.get("call-id"),
      });
      this.#replySafely(incoming, 500, "Handler Did Not Respond");
    }
  }

  #replySafely(
    incoming: IncomingRequestImpl,
    status: number,
    reason?: string,
    headers?: Record<string, string>,
  ): void {
    try {
      incoming.reply(status, reason, headers ? { headers } : {});
    } catch (err) {
      this.#logger.debug("could not send error response", { status, error: errorMessage(err) });
    }
  }

  /** No handler: a BYE for a known dialog ends it; anything else gets 405 with Allow (RFC 3261 §8.2.1). */
  #noHandler(incoming: IncomingRequestImpl): void {
    if (incoming.message.method === "BYE" && incoming.dialog) {
      incoming.reply(200);
      return;
    }
    const allow = new Set([...this.#handlers.keys(), "ACK", "CANCEL", "BYE"]);
    incoming.reply(405, undefined, { headers: { Allow: [...allow].join(", ") } });
  }

  /**
   * CANCEL (RFC 3261 §9.2): 481 when no INVITE transaction matches; else 200 to the CANCEL and,
   * if the INVITE has no final response yet, 487 to it and `cancelled` aborted.
   */
  #cancel(cancel: SipRequest, tx: ServerTx): void {
    const invite = this.#transactions.findInvite(cancel);
    if (!invite) {
      tx.respond(buildResponse(cancel, 481, undefined, { toTag: randomHex(6) }));
      return;
    }
    const incoming = this.#pending.get(invite);
    const toTag = incoming?.localTag ?? randomHex(6);
    tx.respond(buildResponse(cancel, 200, undefined, { toTag }));
    if (invite.finalSent || invite.state === "terminated") return;
    invite.respond(buildResponse(invite.request, 487, undefined, { toTag }));
    incoming?.abort("cancelled");
  }

  /** A malformed request gets a stateless 400 when it can be addressed (RFC 3261 §8.2); else it is dropped and counted. */
  #rejectStateless(request: SipRequest, reason: string, flow: InboundFlow, countDrop: boolean): void {
    if (request.method === "ACK") return;
    try {
      if (!request.via[0]) throw new Error("no Via to address the response");
      const response = buildResponse(request, 400, reasonFrom(reason), {
        ...(request.to?.tag === undefined ? { toTag: randomHex(6) } : {}),
      });
      this.#transactions.sendStateless(response, this.#transport.responseTarget(request, flow));
    } catch (err) {
      if (countDrop) this.#dropped++;
      this.#logger.debug("dropped malformed request", { reason, error: errorMessage(err) });
    }
  }

  #onParseError(error: SipParseError, flow: InboundFlow): void {
    const partial = error.partial;
    if (partial instanceof SipRequest) this.#rejectStateless(partial, error.message, flow, false);
  }
}
