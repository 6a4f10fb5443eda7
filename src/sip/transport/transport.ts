import type { Clock, Logger } from "../../lib/index.ts";
import { errorMessage } from "../../lib/index.ts";
import { SipParseError } from "../message/errors.ts";
import type { SipMessage } from "../message/sip-message.ts";
import type { ListenSpec, SipEndpoint, SipTransportName } from "./listen-spec.ts";
import type { SipTlsOptions } from "./tls.ts";

/**
 * Where to send a response or retransmission: the listener (and, for streams, the connection) a
 * request came in on, and the address/port chosen per RFC 3261 §18.2.2 / RFC 3581.
 */
export interface SendTarget {
  /** Index of the listener (in `SipStackOptions.listen`) to send from. */
  listener: number;
  /** Transport of the listener to send from. */
  transport: SipTransportName;
  /** Destination IP address. */
  address: string;
  /** Destination port. */
  port: number;
  /** For stream transports: id of the connection to write on. */
  connectionId?: number;
}

/** Where an inbound message came from. */
export interface InboundFlow {
  /** Index of the listener (in `SipStackOptions.listen`) it arrived on. */
  listener: number;
  /** The peer. */
  source: SipEndpoint;
  /** Our socket. */
  local: SipEndpoint;
  /** Connection id for stream transports. */
  connectionId?: number;
}

/**
 * One SIP message as it crossed a socket (the wire tap, for captures and the recent-messages ring):
 * every datagram received (parseable or not, keep-alives excepted), every message framed on a
 * stream (TLS: decrypted), the unparseable rest of a stream, and every message sent.
 */
export interface SipWireEvent {
  /** Received (`in`) or sent (`out`). */
  direction: "in" | "out";
  /** Transport it travelled on. */
  transport: SipTransportName;
  /** Our socket: a UDP listener's bound address (a wildcard when bound to one), a connection's own address. */
  local: SipEndpoint;
  /** The peer. */
  remote: SipEndpoint;
  /** The bytes: a view valid only during the call (a stream parser's or socket's buffer); copy to keep. */
  bytes: Uint8Array;
}

/** Subscriber of the wire tap; called synchronously on the socket's path, so keep it short. */
export type SipWireHandler = (event: SipWireEvent) => void;

/** Callbacks a transport reports to (the transport layer). */
export interface TransportReceiver {
  /** Whether anyone taps the wire (transports build no {@link SipWireEvent} otherwise). */
  wireTapped(): boolean;
  /** A message crossed the socket (see {@link SipWireEvent}); only called while `wireTapped()`. */
  onWire(event: SipWireEvent): void;
  /** A message was parsed. */
  onMessage(message: SipMessage, flow: InboundFlow): void;
  /** Bytes were not a SIP message (the transport already dropped them and kept reading). */
  onParseError(error: SipParseError, flow: InboundFlow): void;
  /** A stream connection closed (peer, error, idle sweep or shutdown); `flow` is its last flow. */
  onClosed(flow: InboundFlow): void;
}

/** What every transport is built with. */
export interface TransportOptions {
  /** Spec to bind (for a client-only stream transport: its transport, a wildcard host and port 0). */
  spec: ListenSpec;
  /** Whether to listen on `spec`; `false` for a stream transport that only opens outbound connections. */
  listen: boolean;
  /** Index of this listener, echoed in every {@link InboundFlow}. */
  listener: number;
  /** Where inbound messages go. */
  receiver: TransportReceiver;
  /** Largest accepted message, bytes. */
  maxMessageBytes: number;
  /** Logger. */
  logger: Logger;
  /** Clock for idle-connection sweeps. */
  clock: Clock;
  /** Stream connections idle this long are closed, ms. */
  idleTimeoutMs: number;
  /** Outbound connections (TCP connect + TLS handshake) taking longer fail, ms. */
  connectTimeoutMs: number;
  /** Certificate, key and CA for TLS listeners and TLS client connections. */
  tls: SipTlsOptions | undefined;
}

/** Returns `err` as a `SipParseError` (a parser bug on hostile input must not kill a read loop). */
export function asParseError(err: unknown): SipParseError {
  if (err instanceof SipParseError) return err;
  return new SipParseError(`parser failure: ${errorMessage(err)}`, 0, { cause: err });
}

/** One listening socket of a transport (RFC 3261 §18): UDP, TCP or TLS. */
export interface SipTransport {
  /** Transport name. */
  readonly name: SipTransportName;
  /** Binds the socket. @throws SipTransportError (SIP_TRANSPORT) naming the listen spec. */
  start(): Promise<void>;
  /** Closes the socket and every connection; idempotent. */
  close(): Promise<void>;
  /** The bound spec (real port after `start`). */
  bound(): ListenSpec;
  /** Sends bytes. @throws SipTransportError (SIP_TRANSPORT) when the connection is gone or the socket closed. */
  send(bytes: Uint8Array, target: SendTarget): void;
}
