import { createServer as createTcpServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { createServer as createTlsServer, connect as tlsConnect } from "node:tls";
import { errorMessage, type TimerHandle } from "../../lib/index.ts";
import type { SipMessage } from "../message/sip-message.ts";
import { SipStreamParser } from "../message/stream-parser.ts";
import { SipTransportError } from "./errors.ts";
import { formatListenSpec, type ListenSpec, type SipEndpoint } from "./listen-spec.ts";
import { hasCertificate, tlsClientOptions, tlsServerOptions } from "./tls.ts";
import {
  asParseError,
  type InboundFlow,
  type SendTarget,
  type SipTransport,
  type TransportOptions,
} from "./transport.ts";

/** One TCP or TLS connection, accepted or opened by us. */
interface Connection {
  id: number;
  socket: Socket;
  parser: SipStreamParser;
  flow: InboundFlow;
  // Our socket's real address and port (the flow's `local` names the listener), for the wire tap.
  wireLocal: SipEndpoint;
  // `address|port` of the peer (the connection-reuse key, RFC 3261 §18.1.1).
  peerKey: string;
  // Clock time of the last byte in or out (for the idle sweep).
  lastActivity: number;
}

/** An open outbound (or reused) connection: its id and our side of it. */
export interface StreamConnectionInfo {
  /** Connection id for {@link SendTarget.connectionId}. */
  connectionId: number;
  /** Our socket's address and port on this connection. */
  local: SipEndpoint;
}

const peerKey = (address: string, port: number): string => `${address}|${port}`;

const wildcardHosts = new Set(["0.0.0.0", "::", ""]);

/**
 * SIP over TCP or TLS (RFC 3261 §18, §26.2): one {@link SipStreamParser} per connection
 * (Content-Length framing, CRLF keep-alives answered with CRLF, RFC 5626 §4.4.1). A bad message
 * closes that connection only; idle connections are closed after `idleTimeoutMs`. Responses go back
 * on the request's connection (RFC 3261 §18.2.2).
 *
 * Outbound requests reuse an open connection to the same peer address and port, accepted or opened
 * (RFC 3261 §18.1.1, RFC 5923 §5), else open one ({@link StreamTransport.connect}); what arrives on it
 * (responses, and requests of the remote inside our dialogs) is parsed like any inbound traffic.
 */
export class StreamTransport implements SipTransport {
  readonly name: "tcp" | "tls";
  readonly #options: TransportOptions;
  readonly #connections = new Map<number, Connection>();
  // Reusable connections by peer `address|port` (the latest one wins).
  readonly #byPeer = new Map<string, Connection>();
  // Connects in progress by peer key (two requests to one peer share one connect).
  readonly #connecting = new Map<string, Promise<StreamConnectionInfo>>();
  #nextId = 1;
  // The listening server once started.
  #server: Server | undefined;
  #bound: ListenSpec;
  // Idle-sweep timer.
  #sweep: TimerHandle | undefined;
  #closed = false;

  /** @internal Created by the transport layer. */
  constructor(options: TransportOptions) {
    this.#options = options;
    this.name = options.spec.transport === "tls" ? "tls" : "tcp";
    this.#bound = { ...options.spec };
  }

  async start(): Promise<void> {
    const idle = this.#options.idleTimeoutMs;
    this.#sweep = this.#options.clock.setInterval(() => this.#closeIdle(), Math.max(1000, idle / 2));
    if (this.#options.listen) await this.#listen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const server = this.#server;
    this.#server = undefined;
    this.#options.clock.clearTimer(this.#sweep);
    this.#sweep = undefined;
    for (const connection of [...this.#connections.values()]) this.#drop(connection);
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  bound(): ListenSpec {
    return { ...this.#bound };
  }

  send(bytes: Uint8Array, target: SendTarget): void {
    const connection =
      target.connectionId === undefined ? undefined : this.#connections.get(target.connectionId);
    if (!connection || connection.socket.destroyed) {
      throw new SipTransportError(`${this.name} connection to ${target.address}:${target.port} is closed`);
    }
    connection.lastActivity = this.#options.clock.now();
    if (this.#options.receiver.wireTapped()) this.#tap("out", connection, bytes);
    connection.socket.write(bytes);
  }

  /** The open connection to `address:port`, if any (RFC 3261 §18.1.1 reuse). */
  find(address: string, port: number): StreamConnectionInfo | undefined {
    const connection = this.#byPeer.get(peerKey(address, port));
    if (!connection || connection.socket.destroyed) return undefined;
    return { connectionId: connection.id, local: this.#localOf(connection.socket) };
  }

  /**
   * Returns an open connection to `address:port`, opening one when none exists (TCP connect, then for
   * TLS the handshake that verifies the server against the CA and the SIP `domain`, else its IP SAN).
   * @throws SipTransportError (SIP_TRANSPORT) when the connection is refused, times out
   *   (`connectTimeoutMs`), or the TLS handshake fails (the cause names the TLS error).
   */
  connect(address: string, port: number, domain?: string): Promise<StreamConnectionInfo> {
    const found = this.find(address, port);
    if (found) return Promise.resolve(found);
    const key = peerKey(address, port);
    const pending = this.#connecting.get(key);
    if (pending) return pending;
    const opening = this.#open(address, port, domain).finally(() => this.#connecting.delete(key));
    this.#connecting.set(key, opening);
    return opening;
  }

  async #listen(): Promise<void> {
    const spec = this.#options.spec;
    let server: Server;
    if (this.name === "tls") {
      const tls = this.#options.tls;
      if (!tls || !hasCertificate(tls)) {
        throw new SipTransportError(`cannot listen on ${formatListenSpec(spec)}: no TLS certificate and key`);
      }
      server = createTlsServer(tlsServerOptions(tls), (socket) => this.#adopt(socket, false));
      server.on("tlsClientError", (err) =>
        this.#options.logger.debug("tls handshake failed", { error: errorMessage(err) }),
      );
    } else {
      server = createTcpServer((socket) => this.#adopt(socket, false));
    }
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) =>
        reject(
          new SipTransportError(`cannot listen on ${formatListenSpec(spec)}: ${errorMessage(err)}`, {
            cause: err,
          }),
        ),
      );
      server.listen(spec.port, spec.host, () => resolve());
    });
    server.on("error", (err) =>
      this.#options.logger.warn(`${this.name} server error`, { error: errorMessage(err) }),
    );
    this.#server = server;
    const address = server.address();
    this.#bound = { ...spec, port: typeof address === "object" && address ? address.port : spec.port };
  }

  #open(address: string, port: number, domain: string | undefined): Promise<StreamConnectionInfo> {
    if (this.#closed) return Promise.reject(new SipTransportError(`${this.name} transport is closed`));
    const where = `${this.name}:${address.includes(":") ? `[${address}]` : address}:${port}`;
    const bindHost = this.#options.listen && !wildcardHosts.has(this.#options.spec.host);
    const localAddress = bindHost ? { localAddress: this.#options.spec.host } : {};
    const socket =
      this.name === "tls"
        ? tlsConnect({ ...tlsClientOptions(this.#options.tls, address, port, domain), ...localAddress })
        : tcpConnect({ host: address, port, ...localAddress });
    const ready = this.name === "tls" ? "secureConnect" : "connect";
    const clock = this.#options.clock;
    return new Promise<StreamConnectionInfo>((resolve, reject) => {
      const fail = (err: unknown): void => {
        clock.clearTimer(timer);
        socket.destroy();
        reject(new SipTransportError(`cannot connect to ${where}: ${errorMessage(err)}`, { cause: err }));
      };
      const timer = clock.setTimeout(
        () => fail(new Error(`no connection within ${this.#options.connectTimeoutMs} ms`)),
        this.#options.connectTimeoutMs,
      );
      socket.once("error", fail);
      socket.once(ready, () => {
        clock.clearTimer(timer);
        socket.off("error", fail);
        if (this.#closed) {
          fail(new Error("transport closed while connecting"));
          return;
        }
        const connection = this.#adopt(socket, true, { address, port });
        resolve({ connectionId: connection.id, local: this.#localOf(socket) });
      });
    });
  }

  /** Starts reading a connection; `peer` overrides the socket's remote address (as we dialled it). */
  #adopt(socket: Socket, outbound: boolean, peer?: { address: string; port: number }): Connection {
    const id = this.#nextId++;
    const source: SipEndpoint = {
      transport: this.name,
      address: peer?.address ?? socket.remoteAddress ?? "",
      port: peer?.port ?? socket.remotePort ?? 0,
    };
    const local = this.#options.listen
      ? { transport: this.name, address: this.#options.spec.host, port: this.#bound.port }
      : this.#localOf(socket);
    const connection: Connection = {
      id,
      socket,
      parser: new SipStreamParser({
        maxBytes: this.#options.maxMessageBytes,
        onPing: () => socket.write("\r\n"),
      }),
      flow: { listener: this.#options.listener, source, local, connectionId: id },
      wireLocal: this.#localOf(socket),
      peerKey: peerKey(source.address, source.port),
      lastActivity: this.#options.clock.now(),
    };
    this.#connections.set(id, connection);
    if (outbound || !this.#byPeer.has(connection.peerKey)) this.#byPeer.set(connection.peerKey, connection);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#receive(connection, chunk));
    socket.on("error", (err) =>
      this.#options.logger.debug(`${this.name} connection error`, { error: errorMessage(err) }),
    );
    socket.on("close", () => this.#forget(connection));
    return connection;
  }

  #localOf(socket: Socket): SipEndpoint {
    return { transport: this.name, address: socket.localAddress ?? "", port: socket.localPort ?? 0 };
  }

  #receive(connection: Connection, chunk: Buffer): void {
    connection.lastActivity = this.#options.clock.now();
    connection.parser.append(chunk);
    for (;;) {
      let message: SipMessage | undefined;
      try {
        message = connection.parser.next();
      } catch (err) {
        if (this.#options.receiver.wireTapped()) this.#tap("in", connection, connection.parser.pending());
        this.#options.receiver.onParseError(asParseError(err), connection.flow);
        connection.parser.reset();
        this.#drop(connection);
        return;
      }
      if (!message) return;
      if (this.#options.receiver.wireTapped()) this.#tap("in", connection, connection.parser.lastFrame());
      this.#options.receiver.onMessage(message, connection.flow);
    }
  }

  #tap(direction: "in" | "out", connection: Connection, bytes: Uint8Array): void {
    this.#options.receiver.onWire({
      direction,
      transport: this.name,
      local: connection.wireLocal,
      remote: connection.flow.source,
      bytes,
    });
  }

  /** Destroys a connection and forgets it (reports the close once). */
  #drop(connection: Connection): void {
    connection.socket.destroy();
    this.#forget(connection);
  }

  #forget(connection: Connection): void {
    if (!this.#connections.delete(connection.id)) return;
    if (this.#byPeer.get(connection.peerKey) === connection) this.#byPeer.delete(connection.peerKey);
    this.#options.receiver.onClosed(connection.flow);
  }

  #closeIdle(): void {
    const cutoff = this.#options.clock.now() - this.#options.idleTimeoutMs;
    for (const connection of [...this.#connections.values()]) {
      if (connection.lastActivity <= cutoff) {
        this.#options.logger.debug(`closing idle ${this.name} connection`, {
          peer: connection.flow.source.address,
        });
        this.#drop(connection);
      }
    }
  }
}
