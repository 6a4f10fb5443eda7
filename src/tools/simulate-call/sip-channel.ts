import { errorMessage, type Logger } from "../../lib/index.ts";
import { parseMessage, type SipMessage, SipStreamParser, serializeMessage } from "../../sip/index.ts";

/** SIP transport of a simulated call (RFC 3261 §18): UDP datagrams or one TCP connection. */
export type SimulatedTransport = "udp" | "tcp";

/** Where the SRS listens: an IP address (already resolved) and port. */
export interface SipTarget {
  /** IPv4 or IPv6 address. */
  host: string;
  /** SIP port. */
  port: number;
}

/** Options of {@link openSipChannel}. */
export interface SipChannelOptions {
  /** `udp` or `tcp`. */
  transport: SimulatedTransport;
  /** The SRS's address. */
  target: SipTarget;
  /**
   * Local address of a UDP flow (`Via`, `Contact`); the route's source address when omitted. A TCP
   * flow always uses the address the kernel picks for the connection.
   */
  localAddress?: string;
  /** Called for every message received (requests and responses). */
  onMessage: (message: SipMessage) => void;
  /** Called once when a TCP connection closes or fails (UDP never calls it). */
  onClose: (error?: Error) => void;
  /** Where unparseable input is reported. */
  logger: Logger;
}

/** One SIP flow to one SRS: sends serialized messages and hands received ones to `onMessage`. */
export interface SipChannel {
  /** Via transport token: `UDP` or `TCP`. */
  readonly viaTransport: "UDP" | "TCP";
  /** Local IP address of the flow. */
  readonly localAddress: string;
  /** Local port of the flow. */
  readonly localPort: number;
  /** Sends one message; returns false when it could not be written. */
  send(message: SipMessage): boolean;
  /** Closes the socket; idempotent. */
  close(): void;
}

/** The local address the kernel would use to reach `target` (a connected UDP socket sends nothing). */
export async function routeSourceAddress(target: SipTarget): Promise<string> {
  const probe = await Bun.udpSocket({ connect: { hostname: target.host, port: target.port } });
  const address = probe.address.address;
  probe.close();
  return address;
}

/**
 * Opens a SIP flow to the SRS: a UDP socket bound to the local address (port chosen by the kernel),
 * or a TCP connection framed by `SipStreamParser` (RFC 3261 §18.3). Input that does not parse is
 * logged at debug level and dropped (a read loop never dies on bad input).
 * @throws Error when the UDP bind or the TCP connect fails.
 */
export async function openSipChannel(options: SipChannelOptions): Promise<SipChannel> {
  return options.transport === "udp" ? openUdp(options) : openTcp(options);
}

async function openUdp(options: SipChannelOptions): Promise<SipChannel> {
  const { target, logger, onMessage } = options;
  const localAddress = options.localAddress ?? (await routeSourceAddress(target));
  const socket = await Bun.udpSocket({
    hostname: localAddress,
    port: 0,
    socket: {
      data(_socket, data) {
        let message: SipMessage;
        try {
          message = parseMessage(data);
        } catch (err) {
          logger.debug("dropped an unparseable SIP datagram", { error: errorMessage(err) });
          return;
        }
        onMessage(message);
      },
    },
  });
  return {
    viaTransport: "UDP",
    localAddress,
    localPort: socket.port,
    send: (message) => socket.send(serializeMessage(message), target.port, target.host),
    close: () => socket.close(),
  };
}

async function openTcp(options: SipChannelOptions): Promise<SipChannel> {
  const { target, logger, onMessage, onClose } = options;
  const parser = new SipStreamParser();
  // Bytes the kernel did not take yet (written on drain).
  let pending: Uint8Array = new Uint8Array(0);
  let closed = false;
  const finish = (error?: Error): void => {
    if (closed) return;
    closed = true;
    onClose(error);
  };
  const socket = await Bun.connect({
    hostname: target.host,
    port: target.port,
    socket: {
      data(_socket, data) {
        let messages: SipMessage[];
        try {
          messages = parser.push(data);
        } catch (err) {
          logger.debug("unparseable SIP on the TCP connection; resynchronising", {
            error: errorMessage(err),
          });
          parser.reset();
          return;
        }
        for (const message of messages) onMessage(message);
      },
      drain(socket) {
        if (pending.length > 0) pending = pending.subarray(socket.write(pending));
      },
      close: () => finish(),
      error: (_socket, error) => finish(error),
    },
  });
  return {
    viaTransport: "TCP",
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    send: (message) => {
      const bytes = serializeMessage(message);
      if (closed) return false;
      if (pending.length > 0) {
        const joined = new Uint8Array(pending.length + bytes.length);
        joined.set(pending);
        joined.set(bytes, pending.length);
        pending = joined;
      } else {
        pending = bytes.subarray(socket.write(bytes));
      }
      return true;
    },
    close: () => {
      closed = true;
      socket.end();
    },
  };
}
