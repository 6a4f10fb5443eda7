import { SipTransportError } from "./errors.ts";

/** Transports this stack listens on and sends over (RFC 3261 §18; TLS per §26.2, RFC 5246). */
export type SipTransportName = "udp" | "tcp" | "tls";

/** Whether `transport` is a stream transport (TCP or TLS): framed by Content-Length, no retransmissions. */
export function isStreamTransport(transport: SipTransportName): boolean {
  return transport !== "udp";
}

/** An address on one transport (a peer, or our own socket). */
export interface SipEndpoint {
  /** Transport the message travelled on. */
  transport: SipTransportName;
  /** IP address (no brackets for IPv6). */
  address: string;
  /** Port. */
  port: number;
}

/** One listening socket: transport, local address and port (0 = any free port). */
export interface ListenSpec {
  /** Transport protocol. */
  transport: SipTransportName;
  /** Local address to bind, e.g. `0.0.0.0`, `127.0.0.1` or `::` (IPv6 without brackets). */
  host: string;
  /** Local port, 0–65535 (0 lets the OS choose; see `SipStack.listening()`). */
  port: number;
}

/**
 * Parses `"udp:0.0.0.0:5060"`, `"tcp:127.0.0.1:0"`, `"tls:0.0.0.0:5061"` or `"udp:[::1]:5060"`
 * (config `sip.listen`). A `tls` listener needs `SipStackOptions.tls` (certificate and key).
 * @throws SipTransportError (SIP_TRANSPORT) naming the bad part (transport, host or port).
 */
export function parseListenSpec(text: string): ListenSpec {
  const first = text.indexOf(":");
  const last = text.lastIndexOf(":");
  if (first < 0 || last === first) {
    throw new SipTransportError(`listen spec "${text}" is not transport:host:port (e.g. "udp:0.0.0.0:5060")`);
  }
  const transport = text.slice(0, first).toLowerCase();
  if (transport !== "udp" && transport !== "tcp" && transport !== "tls") {
    throw new SipTransportError(
      `listen spec "${text}": unsupported transport "${text.slice(0, first)}" (udp, tcp or tls)`,
    );
  }
  let host = text.slice(first + 1, last);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host === "" || /[\s[\]/]/.test(host))
    throw new SipTransportError(`listen spec "${text}": bad host "${host}"`);
  const portText = text.slice(last + 1);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) {
    throw new SipTransportError(`listen spec "${text}": bad port "${portText}" (0-65535)`);
  }
  return { transport, host, port };
}

/** Formats a listen spec back to `transport:host:port` (IPv6 hosts in brackets). */
export function formatListenSpec(spec: ListenSpec): string {
  const host = spec.host.includes(":") ? `[${spec.host}]` : spec.host;
  return `${spec.transport}:${host}:${spec.port}`;
}
