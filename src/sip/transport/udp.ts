import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import { errorMessage } from "../../lib/index.ts";
import { parseMessage } from "../message/parser.ts";
import { SipTransportError } from "./errors.ts";
import { formatListenSpec, type ListenSpec, type SipEndpoint } from "./listen-spec.ts";
import { asParseError, type SendTarget, type SipTransport, type TransportOptions } from "./transport.ts";

/** Whether a datagram holds only CR/LF/SP (a keep-alive, RFC 5626 §4.4.1 / §3.5.1), not a message. */
function isKeepAlive(data: Uint8Array): boolean {
  for (const byte of data) if (byte !== 0x0d && byte !== 0x0a && byte !== 0x20) return false;
  return true;
}

/**
 * SIP over UDP (RFC 3261 §18): one datagram is one message. Bad datagrams are reported to the
 * receiver and dropped; the read loop never stops on bad input (RFC 3261 §18.3).
 */
export class UdpTransport implements SipTransport {
  readonly name = "udp" as const;
  readonly #options: TransportOptions;
  // The socket once started.
  #socket: Socket | undefined;
  // Bound spec (real port after start).
  #bound: ListenSpec;
  // Our endpoint, reported with each inbound message.
  #local: SipEndpoint;

  /** @internal Created by the transport layer. */
  constructor(options: TransportOptions) {
    this.#options = options;
    this.#bound = { ...options.spec };
    this.#local = { transport: "udp", address: options.spec.host, port: options.spec.port };
  }

  async start(): Promise<void> {
    const spec = this.#options.spec;
    const socket = createSocket({ type: isIPv6(spec.host) ? "udp6" : "udp4", reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", (err) =>
        reject(
          new SipTransportError(`cannot listen on ${formatListenSpec(spec)}: ${errorMessage(err)}`, {
            cause: err,
          }),
        ),
      );
      socket.bind(spec.port, spec.host, () => resolve());
    });
    socket.on("error", (err) => this.#options.logger.warn("udp socket error", { error: errorMessage(err) }));
    socket.on("message", (data, rinfo) => this.#receive(data, rinfo));
    this.#socket = socket;
    const address = socket.address();
    this.#bound = { ...spec, port: address.port };
    this.#local = { transport: "udp", address: spec.host, port: address.port };
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  bound(): ListenSpec {
    return { ...this.#bound };
  }

  send(bytes: Uint8Array, target: SendTarget): void {
    const socket = this.#socket;
    if (!socket) throw new SipTransportError(`udp ${formatListenSpec(this.#bound)} is closed`);
    const receiver = this.#options.receiver;
    if (receiver.wireTapped()) {
      receiver.onWire({
        direction: "out",
        transport: "udp",
        local: this.#local,
        remote: { transport: "udp", address: target.address, port: target.port },
        bytes,
      });
    }
    socket.send(bytes, target.port, target.address, (err) => {
      if (err)
        this.#options.logger.debug("udp send failed", { to: target.address, error: errorMessage(err) });
    });
  }

  #receive(data: Buffer, rinfo: RemoteInfo): void {
    if (isKeepAlive(data)) return;
    const flow = {
      listener: this.#options.listener,
      source: { transport: "udp" as const, address: rinfo.address, port: rinfo.port },
      local: this.#local,
    };
    const receiver = this.#options.receiver;
    if (receiver.wireTapped()) {
      receiver.onWire({
        direction: "in",
        transport: "udp",
        local: flow.local,
        remote: flow.source,
        bytes: data,
      });
    }
    let message: ReturnType<typeof parseMessage>;
    try {
      message = parseMessage(data, { maxBytes: this.#options.maxMessageBytes });
    } catch (err) {
      this.#options.receiver.onParseError(asParseError(err), flow);
      return;
    }
    this.#options.receiver.onMessage(message, flow);
  }
}
