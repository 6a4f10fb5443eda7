import type { Clock, Logger } from "../../lib/index.ts";
import type { Dialog } from "../dialog/dialog-types.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipTimers } from "../transaction/timers.ts";
import type { ListenSpec, SipEndpoint } from "../transport/listen-spec.ts";

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
  /** Value of the `Server` header on our responses; none when unset. */
  userAgent?: string;
  /** Idle TCP connections are closed after this long without traffic, ms. @default 300000 */
  tcpIdleTimeoutMs?: number;
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

/** Options of {@link IncomingRequest.reply}. */
export interface ReplyOptions {
  /** Extra headers (an array gives one line per value). */
  headers?: Record<string, string | string[]>;
  /** Body; a string is encoded as UTF-8. */
  body?: Uint8Array | string;
  /** Content-Type of the body. */
  contentType?: string;
}

/** A request handed to a {@link RequestHandler}, with its server transaction behind `reply`. */
export interface IncomingRequest {
  /** The request as received. */
  readonly message: SipRequest;
  /** Where it came from. */
  readonly source: SipEndpoint;
  /** Our socket it arrived on (use for Contact). */
  readonly local: SipEndpoint;
  /** The dialog of an in-dialog request (BYE, re-INVITE, UPDATE, INFO), matched by Call-ID + tags. */
  readonly dialog: Dialog | undefined;
  /**
   * Sends a provisional or final response through the server transaction. A 2xx to an initial
   * INVITE creates and returns the Dialog (adding a To tag unless present).
   * @throws InvalidStateError (INVALID_STATE) when a final response was already sent.
   */
  reply(status: number, reason?: string, options?: ReplyOptions): Dialog | undefined;
  /** Aborted when CANCEL (or a transport failure) ended a pending INVITE; the stack already sent 487. */
  readonly cancelled: AbortSignal;
}

/**
 * Handles one request. May be async. Throw `SipStatusError` to answer that status; any other
 * error answers 500; returning without a final response answers 500.
 */
export type RequestHandler = (request: IncomingRequest) => void | Promise<void>;

/** A running SIP UAS stack: transports, transactions (RFC 3261 §17), dialogs (§12) and routing. */
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
  /** Registers the handler of `method` (one per method; a second call replaces it). */
  onRequest(method: string, handler: RequestHandler): void;
  /** Counters since start. */
  stats(): SipStats;
}
