import { isIPv6 } from "node:net";
import type { Clock, Logger } from "../../lib/index.ts";
import { errorMessage } from "../../lib/index.ts";
import type { SipParseError } from "../message/errors.ts";
import { formatParams } from "../message/header-params.ts";
import { SipRequest } from "../message/request.ts";
import type { SipMessage } from "../message/sip-message.ts";
import type { SipVia } from "../message/via.ts";
import { SipTransportError } from "./errors.ts";
import type { ListenSpec, SipEndpoint } from "./listen-spec.ts";
import { localAddressTowards } from "./local-address.ts";
import { formatNextHop, type SipNextHop } from "./next-hop.ts";
import { StreamTransport } from "./stream.ts";
import type { SipTlsOptions } from "./tls.ts";
import type {
  InboundFlow,
  SendTarget,
  SipTransport,
  SipWireEvent,
  SipWireHandler,
  TransportOptions,
  TransportReceiver,
} from "./transport.ts";
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
  /** Outbound TCP connect + TLS handshake time limit, ms. */
  connectTimeoutMs: number;
  /** Certificate, key and CA for TLS (listeners and outbound connections). */
  tls?: SipTlsOptions;
  /** Address advertised in Via sent-by and Contact of our requests instead of the socket's own. */
  advertisedAddress?: string;
}

/**
 * A way to send requests to one {@link SipNextHop}: the listener (and connection) to send from, and the
 * address to advertise in Via sent-by and Contact (RFC 3261 §18.1.1).
 */
export interface OutboundFlow {
  /** The target it reaches. */
  target: SipNextHop;
  /** Where to send: listener index, peer address, and connection id for TCP/TLS. */
  sendTarget: SendTarget;
  /**
   * Our address for Via/Contact: the listener's port when we listen on that transport (so the peer can
   * open a connection back), else the connection's own port.
   */
  local: SipEndpoint;
}

/** Subscriber of inbound messages (the transaction layer). */
export type InboundMessageHandler = (message: SipMessage, flow: InboundFlow) => void;

/** Subscriber of parse failures (the UA answers 400 when `error.partial` is an addressable request). */
export type ParseErrorHandler = (error: SipParseError, flow: InboundFlow) => void;

/** Subscriber of closed stream connections (the transaction layer fails client transactions on them). */
export type ConnectionClosedHandler = (flow: InboundFlow) => void;

const wildcardHosts = new Set(["0.0.0.0", "::"]);

/** The default SIP port (RFC 3261 §19.1.2). */
const defaultSipPort = 5060;

/**
 * The transport layer (RFC 3261 §18): owns every listener and outbound connection, stamps `received`/`rport` on inbound
 * requests (§18.2.1, RFC 3581 §4), picks response destinations (§18.2.2), counts inbound messages
 * and parse errors, and fans messages out to the layer above. It imports nothing above it: the
 * transaction layer registers itself with {@link TransportLayer.onMessage}.
 */
export class TransportLayer {
  readonly #options: TransportLayerOptions;
  readonly #transports: SipTransport[];
  // Listeners come first in #transports; client-only stream transports are appended after them.
  readonly #listenCount: number;
  readonly #receiver: TransportReceiver;
  readonly #messageHandlers: InboundMessageHandler[] = [];
  readonly #parseErrorHandlers: ParseErrorHandler[] = [];
  readonly #closedHandlers: ConnectionClosedHandler[] = [];
  readonly #wireHandlers: SipWireHandler[] = [];
  // Local address towards each remote host, for wildcard UDP listeners.
  readonly #routeCache = new Map<string, Promise<string>>();
  #closed = false;
  /** Messages dropped as unparseable. */
  parseErrors = 0;
  /** Messages parsed. */
  messagesIn = 0;
  /** Requests received per method (retransmissions included). */
  readonly requestsByMethod: Record<string, number> = {};

  constructor(options: TransportLayerOptions) {
    this.#options = options;
    this.#receiver = {
      onMessage: (message, flow) => this.#inbound(message, flow),
      onParseError: (error, flow) => this.#inboundError(error, flow),
      onClosed: (flow) => {
        for (const handler of this.#closedHandlers) handler(flow);
      },
      wireTapped: () => this.#wireHandlers.length > 0,
      onWire: (event) => this.#wire(event),
    };
    this.#transports = options.listen.map((spec, listener) => this.#create(spec, listener, true));
    this.#listenCount = this.#transports.length;
  }

  /** Registers a subscriber of inbound messages. */
  onMessage(handler: InboundMessageHandler): void {
    this.#messageHandlers.push(handler);
  }

  /** Registers a subscriber of parse failures. */
  onParseError(handler: ParseErrorHandler): void {
    this.#parseErrorHandlers.push(handler);
  }

  /**
   * Registers a wire tap: called with every message received (also unparseable ones) and sent, as
   * bytes with transport, endpoints and direction (see {@link SipWireEvent}). A throwing tap is
   * logged and ignored.
   */
  onWire(handler: SipWireHandler): void {
    this.#wireHandlers.push(handler);
  }

  /** Registers a subscriber of closed stream connections. */
  onConnectionClosed(handler: ConnectionClosedHandler): void {
    this.#closedHandlers.push(handler);
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
    this.#closed = true;
    await Promise.all(this.#transports.map((transport) => transport.close()));
  }

  /** Bound specs (real ports) of the listeners. */
  listening(): ListenSpec[] {
    return this.#transports.slice(0, this.#listenCount).map((transport) => transport.bound());
  }

  /**
   * Finds or opens the way to `target` (RFC 3261 §18.1.1): UDP goes out of the first UDP listener of
   * the target's address family; TCP/TLS reuses an open connection to the same address and port, else
   * connects (TLS verifies the server, see {@link StreamTransport.connect}) from the first listener of
   * that transport, or from a client-only transport when we do not listen on it.
   * @throws SipTransportError (SIP_TRANSPORT) when there is no UDP listener of that family, or the
   *   connection fails (refused, timeout, TLS handshake): callers treat it as a 503 (RFC 3263 §4.3).
   */
  async open(target: SipNextHop): Promise<OutboundFlow> {
    if (this.#closed) throw new SipTransportError(`cannot send to ${formatNextHop(target)}: stack closed`);
    const v6 = isIPv6(target.address);
    const base = { transport: target.transport, address: target.address, port: target.port };
    if (target.transport === "udp") {
      const listener = this.#transports.findIndex(
        (t, i) => i < this.#listenCount && t.name === "udp" && isIPv6(t.bound().host) === v6,
      );
      const udp = this.#transports[listener];
      if (!udp) throw new SipTransportError(`cannot send to ${formatNextHop(target)}: no UDP listener`);
      const bound = udp.bound();
      const address = await this.#advertised(bound.host, target.address);
      return { target, sendTarget: { ...base, listener }, local: { ...base, address, port: bound.port } };
    }
    const listener = this.#streamFor(target.transport, v6);
    const stream = this.#transports[listener] as StreamTransport;
    const info = await stream.connect(target.address, target.port, target.domain);
    const listening = listener < this.#listenCount;
    const local: SipEndpoint = {
      transport: target.transport,
      address: this.#options.advertisedAddress ?? info.local.address,
      port: listening ? stream.bound().port : info.local.port,
    };
    return { target, sendTarget: { ...base, listener, connectionId: info.connectionId }, local };
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

  #create(spec: ListenSpec, listener: number, listen: boolean): SipTransport {
    const options: TransportOptions = {
      spec,
      listen,
      listener,
      receiver: this.#receiver,
      maxMessageBytes: this.#options.maxMessageBytes,
      logger: this.#options.logger,
      clock: this.#options.clock,
      idleTimeoutMs: this.#options.idleTimeoutMs,
      connectTimeoutMs: this.#options.connectTimeoutMs,
      tls: this.#options.tls,
    };
    return spec.transport === "udp" ? new UdpTransport(options) : new StreamTransport(options);
  }

  /** Index of the stream transport to connect from: a listener of that family, else a client-only one. */
  #streamFor(name: "tcp" | "tls", v6: boolean): number {
    const fits = (t: SipTransport, i: number): boolean => {
      if (t.name !== name || !(t instanceof StreamTransport)) return false;
      if (i >= this.#listenCount) return true;
      const host = t.bound().host;
      return wildcardHosts.has(host) || isIPv6(host) === v6;
    };
    const found = this.#transports.findIndex(fits);
    if (found >= 0) return found;
    const index = this.#transports.length;
    const transport = this.#create({ transport: name, host: "0.0.0.0", port: 0 }, index, false);
    this.#transports.push(transport);
    void transport.start();
    return index;
  }

  /** The Via/Contact address of a UDP listener bound to `host` when sending to `remote`. */
  #advertised(host: string, remote: string): Promise<string> {
    if (this.#options.advertisedAddress !== undefined)
      return Promise.resolve(this.#options.advertisedAddress);
    if (!wildcardHosts.has(host)) return Promise.resolve(host);
    let cached = this.#routeCache.get(remote);
    if (!cached) {
      cached = localAddressTowards(remote);
      this.#routeCache.set(remote, cached);
    }
    return cached;
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

  #wire(event: SipWireEvent): void {
    for (const handler of this.#wireHandlers) {
      try {
        handler(event);
      } catch (err) {
        this.#options.logger.error("wire tap failed", { error: errorMessage(err) });
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
