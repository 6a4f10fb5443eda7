import type { Clock, Logger } from "../../lib/index.ts";
import type { SipTimers } from "../transaction/timers.ts";
import type { ListenSpec } from "../transport/listen-spec.ts";
import type { SipNextHop } from "../transport/next-hop.ts";
import type { SipTlsOptions } from "../transport/tls.ts";
import type { SipWireHandler } from "../transport/transport.ts";
import type { RequestHandler } from "./request-types.ts";
import type {
  ClientRequest,
  InviteInit,
  InviteResult,
  OptionsPinger,
  OutgoingRequestInit,
  PingOptions,
} from "./uac-types.ts";

export type { IncomingRequest, ReplyOptions, RequestHandler } from "./request-types.ts";

/** Options of {@link createSipStack}. */
export interface SipStackOptions {
  /** Sockets to listen on (port 0 = any free port). */
  listen: ListenSpec[];
  /** Clock for every transaction/dialog timer. @default systemClock */
  clock?: Clock;
  /** Logger. @default silentLogger */
  logger?: Logger;
  /** T1/T2/T4 overrides, ms (RFC 3261 §17). @default { t1: 500, t2: 4000, t4: 5000 } */
  timers?: Partial<SipTimers>;
  /** Largest accepted message, bytes. @default 65535 */
  maxMessageBytes?: number;
  /** Value of the `Server` header on our responses and `User-Agent` on our requests; none when unset. */
  userAgent?: string;
  /** Idle TCP/TLS connections are closed after this long without traffic, ms. @default 300000 */
  tcpIdleTimeoutMs?: number;
  /**
   * TLS certificate, key and CA (PEM text): needed by `tls:` listeners; outbound TLS connections verify
   * servers against `ca` and offer the certificate as client certificate (RFC 3261 §26.2, RFC 5922).
   */
  tls?: SipTlsOptions;
  /**
   * Outbound TCP connect plus TLS handshake time limit, ms; a slower target fails like a refused one
   * (local 503, RFC 3263 §4.3). @default 10000
   */
  connectTimeoutMs?: number;
  /**
   * Address put in Via sent-by and Contact of our requests (e.g. a public address in front of NAT).
   * @default the listener's address; for a wildcard listener the local address of the route to the target
   */
  advertisedAddress?: string;
  /**
   * Session timers (RFC 4028) of the INVITEs we answer: an INVITE with Session-Expires gets it back in
   * the 2xx with the refresher (the caller's choice; `uac` when it supports timers and left it open) and
   * `Require: timer`; below `minSeS` it gets 422 with Min-SE; the dialog then expects the caller's
   * refreshes (BYE before expiry when they stop, termination reason `session-expired`) or sends its own
   * at half the interval. `false` ignores Session-Expires. `minSeS` is raised to 90 (RFC 4028 §5).
   * @default { minSeS: 90 }
   */
  sessionTimer?: { minSeS?: number } | false;
}

/** Counters of the stack since start. */
export interface SipStats {
  /** Datagrams / stream messages dropped as unparseable. */
  parseErrors: number;
  /** Messages received (parsed), requests and responses, retransmissions included. */
  messagesIn: number;
  /** Requests received per method (retransmissions included). */
  requestsByMethod: Record<string, number>;
  /** Responses sent per status code (as a string key, e.g. `"200"`). */
  responsesByStatus: Record<string, number>;
}

/**
 * A running SIP stack: transports (UDP, TCP, TLS), server and client transactions (RFC 3261 §17),
 * dialogs (§12), request routing as UAS and requests, INVITEs and OPTIONS pings as UAC.
 */
export interface SipStack {
  /**
   * Binds every listener.
   * @throws SipTransportError (SIP_TRANSPORT) naming the listen spec (e.g. EADDRINUSE in `cause`).
   */
  start(): Promise<void>;
  /** Stops listeners and clears every timer; idempotent. */
  close(): Promise<void>;
  /** The listeners with their actual bound ports (after `start`). */
  listening(): ListenSpec[];
  /**
   * Taps the wire: `handler` gets every SIP message received (also unparseable ones) and sent, as
   * the bytes that crossed the socket (TLS decrypted), with transport, our and the peer's endpoints
   * and the direction (`SipWireEvent`). Called synchronously; a throwing handler is logged and ignored.
   */
  onWire(handler: SipWireHandler): void;
  /** Registers the handler of `method` (one per method; a second call replaces it). */
  onRequest(method: string, handler: RequestHandler): void;
  /** Counters since start. */
  stats(): SipStats;
  /**
   * Sends an out-of-dialog request (OPTIONS, MESSAGE, …) to `target` in a non-INVITE client transaction
   * (RFC 3261 §8.1, §17.1.2). Over TCP/TLS it reuses an open connection to the target or opens one;
   * a connect or TLS failure gives a local 503.
   * @throws TypeError for INVITE (use `invite`), ACK and CANCEL.
   */
  request(target: SipNextHop, init: OutgoingRequestInit): ClientRequest;
  /**
   * Sends an INVITE (RFC 3261 §13.2) with session timers (RFC 4028) unless disabled; a 2xx creates a
   * confirmed `UacDialog` (ACK sent, §13.2.2.4), a 422 is retried once more with the peer's Min-SE.
   * Resolves with the final response (never rejects: timeouts and transport failures are local
   * 408/503 responses, a cancelled INVITE ends with 487).
   */
  invite(target: SipNextHop, init: InviteInit): Promise<InviteResult>;
  /**
   * Starts pinging `target` with OPTIONS every `intervalMs` and reporting up/down changes; `close()`
   * stops every pinger.
   * @throws InvalidStateError (INVALID_STATE) once the stack is closed.
   */
  ping(target: SipNextHop, options: PingOptions): OptionsPinger;
}
