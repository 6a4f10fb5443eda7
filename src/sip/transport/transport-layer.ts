import type { Clock, Logger } from "../../lib/index.ts";
import { errorMessage } from "../../lib/index.ts";
import type { SipParseError } from "../message/errors.ts";
import { formatParams } from "../message/header-params.ts";
import { SipRequest } from "../message/request.ts";
import type { SipMessage } from "../message/sip-message.ts";
import type { SipVia } from "../message/via.ts";
import { SipTransportError } from "./errors.ts";
import type { ListenSpec } from "./listen-spec.ts";
import { TcpTransport } from "./tcp.ts";
import type { InboundFlow, SendTarget, SipTransport, TransportReceiver } from "./transport.ts";
import { UdpTransport } from "./udp.ts";

/** Options of {@link TransportLayer}. */
export interface TransportLayerOptions {
  /** Sockets to open. */
  listen: ListenSpec[];
  /** Clock (TCP idle sweeps). */
  clock: Clock;
  /** Logger. */
  logger: Logger;
  /** Largest accepted message, bytes. */
  maxMessageBytes: number;
  /** Idle stream connections are closed after this long, ms. */
  idleTimeoutMs: number;
}

/** Subscriber of inbound messages (the transaction layer). */
export type InboundMessageHandler = (message: SipMessage, flow: InboundFlow) => void;

/** Subscriber of parse failures (the UA answers 400 when `error.partial` is an addressable request). */
export type ParseErrorHandler = (error: SipParseError, flow: InboundFlow) => void;

/** The default SIP port (RFC 3261 §19.1.2). */
const defaultSipPort = 5060;

/**
 * The transport layer (RFC 3261 §18): owns every listener, stamps `received`/`rport` on inbound
 * requests (§18.2.1, RFC 3581 §4), picks response destinations (§18.2.2), counts inbound messages
 * and parse errors, and fans messages out to the layer above. It imports nothing above it: the
 * transaction layer registers itself with {@link TransportLayer.onMessage}.
 */
export class TransportLayer {
  readonly #options: TransportLayerOptions;
  readonly #transports: SipTransport[];
  readonly #messageHandlers: InboundMessageHandler[] = [];
  readonly #parseErrorHandlers: ParseErrorHandler[] = [];
  /** Messages dropped as unparseable. */
  parseErrors = 0;
  /** Messages parsed. */
  messagesIn = 0;
  /** Requests received per method (retransmissions included). */
  readonly requestsByMethod: Record<string, number> = {};

  constructor(options: TransportLayerOptions) {
    this.#options = options;
    const receiver: TransportReceiver = {
      onMessage: (message, flow) => this.#inbound(message, flow),
      onParseError: (error, flow) => this.#inboundError(error, flow),
    };
    this.#transports = options.listen.map((spec, listener) => {
      const transportOptions = {
        spec,
        listener,
        receiver,
        maxMessageBytes: options.maxMessageBytes,
        logger: options.logger,
        clock: options.clock,
        idleTimeoutMs: options.idleTimeoutMs,
      };
      return spec.transport === "udp"
        ? new UdpTransport(transportOptions)
        : new TcpTransport(transportOptions);
    });
  }

  /** Registers a subscriber of inbound messages. */
  onMessage(handler: InboundMessageHandler): void {
    this.#messageHandlers.push(handler);
  }

  /** Registers a subscriber of parse failures. */
  onParseError(handler: ParseErrorHandler): void {
    this.#parseErrorHandlers.push(handler);
  }

  /** Binds every listener; on failure closes the ones already bound. @throws SipTransportError */
  async start(): Promise<void> {
    try {
      for (const transport of this.#transports) await transport.start();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Closes every listener; idempotent. */
  async close(): Promise<void> {
    await Promise.all(this.#transports.map((transport) => transport.close()));
  }

  /** Bound specs (real ports). */
  listening(): ListenSpec[] {
    return this.#transports.map((transport) => transport.bound());
  }

  /**
   * Sends bytes to a target; a send failure is logged at debug and reported as `false` (a vanished
   * TCP peer must not break a transaction timer).
   */
  send(bytes: Uint8Array, target: SendTarget): boolean {
    const transport = this.#transports[target.listener];
    try {
      if (!transport) throw new SipTransportError(`no listener #${target.listener}`);
      transport.send(bytes, target);
      return true;
    } catch (err) {
      this.#options.logger.debug("send failed", {
        to: `${target.address}:${target.port}`,
        error: errorMessage(err),
      });
      return false;
    }
  }

  /**
   * Where responses to a request go (RFC 3261 §18.2.2, RFC 3581 §4): the same connection for TCP;
   * for UDP the top Via's `received` (else sent-by host) and `rport` (else sent-by port, else 5060).
   * Call after the request went through {@link TransportLayer.onMessage} (which stamps the Via).
   */
  responseTarget(request: SipRequest, flow: InboundFlow): SendTarget {
    const base = { listener: flow.listener, transport: flow.source.transport };
    if (flow.connectionId !== undefined) {
      return {
        ...base,
        address: flow.source.address,
        port: flow.source.port,
        connectionId: flow.connectionId,
      };
    }
    const top = request.via[0];
    if (!top) return { ...base, address: flow.source.address, port: flow.source.port };
    return {
      ...base,
      address: top.received ?? bareHost(top.host),
      port: top.rport ?? top.port ?? defaultSipPort,
    };
  }

  #inbound(message: SipMessage, flow: InboundFlow): void {
    this.messagesIn++;
    if (message instanceof SipRequest) {
      this.requestsByMethod[message.method] = (this.requestsByMethod[message.method] ?? 0) + 1;
      stampVia(message, flow);
    }
    for (const handler of this.#messageHandlers) {
      try {
        handler(message, flow);
      } catch (err) {
        this.#options.logger.error("message handler failed", { error: errorMessage(err) });
      }
    }
  }

  #inboundError(error: SipParseError, flow: InboundFlow): void {
    this.parseErrors++;
    if (error.partial instanceof SipRequest) stampVia(error.partial, flow);
    this.#options.logger.debug("dropped unparseable message", {
      from: `${flow.source.address}:${flow.source.port}`,
      transport: flow.source.transport,
      error: error.message,
      offset: error.offset,
    });
    for (const handler of this.#parseErrorHandlers) {
      try {
        handler(error, flow);
      } catch (err) {
        this.#options.logger.error("parse error handler failed", { error: errorMessage(err) });
      }
    }
  }
}

function bareHost(host: string): string {
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

/**
 * Adds `received` when the top Via's sent-by differs from the source address (RFC 3261 §18.2.1),
 * and fills `rport` (plus `received`) when the client asked for it (RFC 3581 §4).
 */
function stampVia(request: SipRequest, flow: InboundFlow): void {
  let top: SipVia | undefined;
  try {
    top = request.via[0];
  } catch {
    return;
  }
  if (!top) return;
  const address = flow.source.address;
  const needsReceived = bareHost(top.host) !== address || top.hasRport;
  if (!needsReceived) return;
  const params = new Map(top.params);
  params.set("received", address);
  if (top.hasRport) params.set("rport", String(flow.source.port));
  const sentBy = top.port === undefined ? top.host : `${top.host}:${top.port}`;
  const stamped = `${top.protocol}/${top.transport} ${sentBy}${formatParams(params)}`;
  const line = request.headers.indexOf("via");
  request.headers.setValueAt(line, request.headers.valueAt(line).replace(top.raw, stamped));
}
