import {
  type Clock,
  errorCode,
  errorMessage,
  InvalidStateError,
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
import type { SipResponse } from "../message/response.ts";
import type { ServerTx, ServerTxEnd } from "../transaction/server-tx.ts";
import { resolveTimers } from "../transaction/timers.ts";
import { TransactionLayer } from "../transaction/transaction-layer.ts";
import type { ListenSpec } from "../transport/listen-spec.ts";
import type { SipNextHop } from "../transport/next-hop.ts";
import type { InboundFlow, SipWireHandler } from "../transport/transport.ts";
import { TransportLayer } from "../transport/transport-layer.ts";
import { ClientRequestImpl } from "./client-request.ts";
import { SipStatusError } from "./errors.ts";
import { IncomingRequestImpl } from "./incoming-request.ts";
import { OptionsPingerImpl } from "./options-pinger.ts";
import { asNameAddr, buildRequest, uriHost } from "./request-builder.ts";
import { SessionDialogImpl } from "./session-dialog.ts";
import type { RequestHandler, SipStack, SipStackOptions, SipStats } from "./sip-stack-types.ts";
import { UacDialogImpl } from "./uac-dialog.ts";
import { type InviteContext, sendInvite } from "./uac-invite.ts";
import type {
  ClientRequest,
  InviteInit,
  InviteResult,
  OptionsPinger,
  OutgoingRequestInit,
  PingOptions,
} from "./uac-types.ts";
import { admitInitialInvite, type UasTimerSettings, uasDialogSetup, uasTimerSettings } from "./uas-dialog.ts";

/** Default idle timeout of TCP/TLS connections, ms. */
const defaultTcpIdleTimeoutMs = 300_000;

/** Default outbound connect (+ TLS handshake) limit, ms. */
const defaultConnectTimeoutMs = 10_000;

/** Methods `request` refuses: INVITE has `invite`, ACK and CANCEL are sent by the stack. */
const notForRequest = new Set(["INVITE", "ACK", "CANCEL"]);

/** Methods the stack answers itself (never passed to handlers). */
const internalMethods = new Set(["ACK", "CANCEL"]);

/**
 * Creates a SIP stack (RFC 3261): UDP/TCP/TLS listeners, server and client transactions (§17), dialogs
 * (§12), a method router with one handler per method, and the UAC side (`request`, `invite`, `ping`).
 * Call `start()` to bind.
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
 * The UA core (RFC 3261 §8, §9, §12, §13): routes new requests to handlers (or, inside a UAC dialog, to
 * that dialog), answers what no handler may (405, 481, 487/200 for CANCEL, 505, stateless 400), turns
 * handler errors into final responses in exactly one place (`#run`), and sends requests as UAC.
 */
class SipStackImpl implements SipStack {
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #invite: InviteContext;
  readonly #pingers = new Set<OptionsPingerImpl>();
  readonly #transport: TransportLayer;
  readonly #transactions: TransactionLayer;
  readonly #dialogs: DialogLayer<SessionDialogImpl>;
  readonly #uasTimer: UasTimerSettings | undefined;
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
    this.#clock = clock;
    this.#transport = new TransportLayer({
      listen: options.listen,
      clock,
      logger: this.#logger,
      maxMessageBytes: options.maxMessageBytes ?? defaultMaxMessageBytes,
      idleTimeoutMs: options.tcpIdleTimeoutMs ?? defaultTcpIdleTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? defaultConnectTimeoutMs,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      ...(options.advertisedAddress === undefined ? {} : { advertisedAddress: options.advertisedAddress }),
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
      onStrayResponse: (response) => this.#onStrayResponse(response),
    });
    this.#dialogs = new DialogLayer<SessionDialogImpl>({ clock, timers });
    this.#uasTimer = uasTimerSettings(options.sessionTimer);
    this.#transport.onParseError((error, flow) => this.#onParseError(error, flow));
    const client = { transactions: this.#transactions, timers, logger: this.#logger };
    this.#invite = {
      ...client,
      dialogs: this.#dialogs,
      core: {
        clock,
        logger: this.#logger,
        send: (target, request, onRetransmitted2xx) => {
          const outgoing = new ClientRequestImpl(client, onRetransmitted2xx);
          void outgoing.start(target, () => request);
          return outgoing.final;
        },
        sendAck: async (target, ack) => {
          try {
            return this.#transactions.sendAck(ack, await this.#transactions.open(target));
          } catch (err) {
            this.#logger.debug("ACK not sent", { error: errorMessage(err) });
            return undefined;
          }
        },
      },
    };
  }

  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "started";
    await this.#transport.start();
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    for (const pinger of this.#pingers) pinger.stop();
    this.#pingers.clear();
    this.#transactions.close();
    for (const incoming of this.#pending.values()) incoming.abort("closed");
    this.#pending.clear();
    this.#dialogs.closeAll("closed");
    await this.#transport.close();
  }

  listening(): ListenSpec[] {
    return this.#transport.listening();
  }

  onWire(handler: SipWireHandler): void {
    this.#transport.onWire(handler);
  }

  onRequest(method: string, handler: RequestHandler): void {
    if (internalMethods.has(method)) throw new TypeError(`${method} is handled by the SIP stack itself`);
    this.#handlers.set(method, handler);
  }

  request(target: SipNextHop, init: OutgoingRequestInit): ClientRequest {
    if (notForRequest.has(init.method)) {
      throw new TypeError(`${init.method} cannot be sent with request() (INVITE: use invite())`);
    }
    const outgoing = new ClientRequestImpl(this.#invite);
    const fromTag = randomHex(6);
    void outgoing.start(target, (flow) => {
      const host = uriHost(flow.local.address);
      return buildRequest({
        method: init.method,
        uri: init.uri,
        from: `${asNameAddr(init.from ?? `sip:uac@${host}`)};tag=${fromTag}`,
        to: asNameAddr(init.to ?? init.uri),
        callId: init.callId ?? `${randomHex(12)}@${host}`,
        cseq: 1,
        ...(init.headers === undefined ? {} : { headers: init.headers }),
        ...(init.body === undefined ? {} : { body: init.body }),
        ...(init.contentType === undefined ? {} : { contentType: init.contentType }),
      });
    });
    return outgoing;
  }

  invite(target: SipNextHop, init: InviteInit): Promise<InviteResult> {
    return sendInvite(this.#invite, target, init);
  }

  ping(target: SipNextHop, options: PingOptions): OptionsPinger {
    if (this.#state === "closed") throw new InvalidStateError("cannot ping: the SIP stack is closed");
    const pinger = new OptionsPingerImpl(target, options, (to, init) => this.request(to, init), this.#clock);
    this.#pingers.add(pinger);
    pinger.once("@stopped", () => this.#pingers.delete(pinger));
    return pinger;
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
    const incoming = new IncomingRequestImpl(request, tx, flow, dialog, toTag ?? randomHex(6), {
      createDialog: (invite, localTag, response) =>
        this.#dialogs.adopt(
          (context) =>
            new SessionDialogImpl(
              uasDialogSetup(invite, localTag, response, flow, this.#uasTimer),
              context,
              this.#invite.core,
            ),
        ),
      retransmitUntilAck: (target, response, serverTx) => {
        const bytes = this.#transactions.serialize(response);
        target.awaitAck(request.cseq?.seq ?? 0, () => this.#transactions.resendBytes(bytes, serverTx.target));
      },
    });
    if (request.method === "INVITE") this.#pending.set(tx, incoming);
    if (dialog instanceof UacDialogImpl) {
      void this.#run(incoming, () => dialog.handleRemote(incoming));
      return;
    }
    const admitted = dialog
      ? dialog.admitRemote(incoming)
      : request.method !== "INVITE" || admitInitialInvite(incoming, this.#uasTimer, this.#logger);
    if (!admitted) return;
    const handler = this.#handlers.get(request.method);
    if (!handler) {
      this.#pending.delete(tx);
      this.#noHandler(incoming);
      return;
    }
    void this.#run(incoming, handler);
  }

  /** A response without transaction: a late 2xx retransmission re-ACKed by its dialog (§13.2.2.4). */
  #onStrayResponse(response: SipResponse): void {
    let dialog: SessionDialogImpl | undefined;
    try {
      dialog = this.#dialogs.matchResponse(response);
    } catch {
      dialog = undefined;
    }
    const cseq = response.cseq;
    if (dialog && cseq?.method === "INVITE" && response.status < 300) {
      dialog.resendAck(cseq.seq);
      return;
    }
    this.#logger.debug("dropped response without transaction", { status: response.status });
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
