import { createServer, type Server, type Socket } from "node:net";
import { errorMessage, type TimerHandle } from "../../lib/index.ts";
import type { SipMessage } from "../message/sip-message.ts";
import { SipStreamParser } from "../message/stream-parser.ts";
import { SipTransportError } from "./errors.ts";
import { formatListenSpec, type ListenSpec, type SipEndpoint } from "./listen-spec.ts";
import {
  asParseError,
  type InboundFlow,
  type SendTarget,
  type SipTransport,
  type TransportOptions,
} from "./transport.ts";

/** One accepted TCP connection. */
interface Connection {
  id: number;
  socket: Socket;
  parser: SipStreamParser;
  flow: InboundFlow;
  // Clock time of the last byte in or out (for the idle sweep).
  lastActivity: number;
}

/**
 * SIP over TCP (RFC 3261 §18): one {@link SipStreamParser} per connection (Content-Length framing,
 * CRLF keep-alives answered with CRLF, RFC 5626 §4.4.1). A bad message closes that connection only;
 * idle connections are closed after `idleTimeoutMs`. Responses go back on the request's connection
 * (RFC 3261 §18.2.2).
 */
export class TcpTransport implements SipTransport {
  readonly name = "tcp" as const;
  readonly #options: TransportOptions;
  readonly #connections = new Map<number, Connection>();
  #nextId = 1;
  // The listening server once started.
  #server: Server | undefined;
  #bound: ListenSpec;
  #local: SipEndpoint;
  // Idle-sweep timer.
  #sweep: TimerHandle | undefined;

  /** @internal Created by the transport layer. */
  constructor(options: TransportOptions) {
    this.#options = options;
    this.#bound = { ...options.spec };
    this.#local = { transport: "tcp", address: options.spec.host, port: options.spec.port };
  }

  async start(): Promise<void> {
    const spec = this.#options.spec;
    const server = createServer((socket) => this.#accept(socket));
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
    server.on("error", (err) => this.#options.logger.warn("tcp server error", { error: errorMessage(err) }));
    this.#server = server;
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : spec.port;
    this.#bound = { ...spec, port };
    this.#local = { transport: "tcp", address: spec.host, port };
    const idle = this.#options.idleTimeoutMs;
    this.#sweep = this.#options.clock.setInterval(() => this.#closeIdle(), Math.max(1000, idle / 2));
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#options.clock.clearTimer(this.#sweep);
    this.#sweep = undefined;
    for (const connection of this.#connections.values()) connection.socket.destroy();
    this.#connections.clear();
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
      throw new SipTransportError(`tcp connection to ${target.address}:${target.port} is closed`);
    }
    connection.lastActivity = this.#options.clock.now();
    connection.socket.write(bytes);
  }

  #accept(socket: Socket): void {
    const id = this.#nextId++;
    const source: SipEndpoint = {
      transport: "tcp",
      address: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    const connection: Connection = {
      id,
      socket,
      parser: new SipStreamParser({
        maxBytes: this.#options.maxMessageBytes,
        onPing: () => socket.write("\r\n"),
      }),
      flow: { listener: this.#options.listener, source, local: this.#local, connectionId: id },
      lastActivity: this.#options.clock.now(),
    };
    this.#connections.set(id, connection);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#receive(connection, chunk));
    socket.on("error", (err) =>
      this.#options.logger.debug("tcp connection error", { error: errorMessage(err) }),
    );
    socket.on("close", () => this.#connections.delete(id));
  }

  #receive(connection: Connection, chunk: Buffer): void {
    connection.lastActivity = this.#options.clock.now();
    connection.parser.append(chunk);
    for (;;) {
      let message: SipMessage | undefined;
      try {
        message = connection.parser.next();
      } catch (err) {
        this.#options.receiver.onParseError(asParseError(err), connection.flow);
        connection.parser.reset();
        connection.socket.destroy();
        this.#connections.delete(connection.id);
        return;
      }
      if (!message) return;
      this.#options.receiver.onMessage(message, connection.flow);
    }
  }

  #closeIdle(): void {
    const cutoff = this.#options.clock.now() - this.#options.idleTimeoutMs;
    for (const connection of this.#connections.values()) {
      if (connection.lastActivity <= cutoff) {
        this.#options.logger.debug("closing idle tcp connection", { peer: connection.flow.source.address });
        connection.socket.destroy();
        this.#connections.delete(connection.id);
      }
    }
  }
}
