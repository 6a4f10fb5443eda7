import type { TypedEmitter } from "../../lib/index.ts";
import type { Dialog, SessionTimerState } from "../dialog/dialog-types.ts";
import type { SipResponse } from "../message/response.ts";
import type { SipNextHop } from "../transport/next-hop.ts";
import type { IncomingRequest, RequestHandler } from "./request-types.ts";

/**
 * An out-of-dialog request to send (RFC 3261 §8.1.1). The stack adds Via (new branch, `rport`),
 * Max-Forwards 70, the From tag, Call-ID, CSeq and `User-Agent`; the fields below fill the rest.
 */
export interface OutgoingRequestInit {
  /** Method, e.g. `OPTIONS` or `MESSAGE` (INVITE goes through `SipStack.invite`; ACK/CANCEL are the stack's). */
  method: string;
  /** Request-URI (RFC 3261 §8.1.1.1), e.g. `sip:srs@10.0.0.5` or `sips:srs@rec.example.com`. */
  uri: string;
  /** Our identity for From, a URI or name-addr without tag (RFC 3261 §8.1.1.3). @default `<sip:uac@LOCAL-ADDRESS>` */
  from?: string;
  /** To, a URI or name-addr without tag (RFC 3261 §8.1.1.2). @default `<uri>` */
  to?: string;
  /** Call-ID (RFC 3261 §8.1.1.4). @default 24 random hex digits `@` our address */
  callId?: string;
  /** Extra headers, in order (an array gives one line per value). */
  headers?: Record<string, string | string[]>;
  /** Body; a string is encoded as UTF-8. */
  body?: Uint8Array | string;
  /** Content-Type of the body (e.g. `application/sdp`, `multipart/mixed;boundary=…`). */
  contentType?: string;
}

/** Session timer wishes of an INVITE (RFC 4028 §7.1). */
export interface SessionTimerOptions {
  /** Session-Expires we ask for, seconds (at least `minSeS`). @default 1800 */
  expiresS?: number;
  /** Min-SE: the smallest interval we accept, seconds (at least 90, RFC 4028 §5). @default 90 */
  minSeS?: number;
  /** Who should refresh; unset lets the UAS choose (RFC 4028 §7.1). */
  refresher?: "uac" | "uas";
}

/** An initial INVITE to send (RFC 3261 §13.2.1); creates a {@link UacDialog} on 2xx. */
export interface InviteInit extends Omit<OutgoingRequestInit, "method"> {
  /** User part of our Contact (RFC 3261 §8.1.1.8). @default "uac" */
  contactUser?: string;
  /** Header parameters appended to our Contact, e.g. `;+sip.src` (RFC 7866 §6.1.1). */
  contactParams?: string;
  /**
   * The session description inside `body` (the `application/sdp` part of a multipart body). It becomes
   * the dialog's `localSdp`, the default answer to the peer's re-INVITEs and the offer of our session
   * refreshes. @default `body` when `contentType` is `application/sdp`
   */
  sdp?: string;
  /**
   * Session timers (RFC 4028): `Supported: timer`, `Session-Expires`, `Min-SE`, refreshes and a retry on
   * 422 with the peer's Min-SE. `false` sends none of it. @default {}
   */
  sessionTimer?: SessionTimerOptions | false;
  /**
   * Cancels the INVITE (RFC 3261 §9.1): before it was sent the result is a local 487; before any
   * provisional response the CANCEL waits for one; afterwards it is sent at once and the INVITE ends
   * with the peer's 487. A 2xx that crosses the CANCEL is ACKed and ended with BYE at once (the result
   * then has the 2xx and no dialog).
   */
  signal?: AbortSignal;
  /** Called for each provisional (1xx) response. */
  onProvisional?: (response: SipResponse) => void;
  /** Handler of the requests the peer sends inside the dialog (installed before the dialog is returned). */
  onRequest?: RequestHandler;
}

/** The outcome of {@link InviteInit}: the final response, and the dialog when it was a 2xx. */
export interface InviteResult {
  /** The final response (a `SipLocalResponse` for timeouts, transport failures and early cancels). */
  response: SipResponse;
  /** The confirmed dialog (ACK sent) when `response` is a 2xx. */
  dialog?: UacDialog;
}

/** Events of a {@link ClientRequest}. */
export type ClientRequestEvents = {
  /** A provisional (1xx) response arrived. */
  provisional: [response: SipResponse];
};

/** A request sent in its own client transaction (RFC 3261 §17.1.2). */
export interface ClientRequest extends TypedEmitter<ClientRequestEvents> {
  /**
   * The final response; never rejects: a timeout is a local 408, a transport failure a local 503
   * (`SipLocalResponse`, RFC 3261 §8.1.3.1).
   */
  readonly final: Promise<SipResponse>;
}

/** A request to send inside a dialog (RFC 3261 §12.2.1.1). */
export interface DialogRequestInit {
  /** Extra headers, in order. */
  headers?: Record<string, string | string[]>;
  /** Body; a string is encoded as UTF-8. */
  body?: Uint8Array | string;
  /** Content-Type of the body. */
  contentType?: string;
  /** re-INVITE/UPDATE: the SDP inside `body`, kept as `localSdp`. @default body when it is `application/sdp` */
  sdp?: string;
}

/**
 * A dialog that sends requests (RFC 3261 §12.2.1), whichever side created it. In-dialog requests go to
 * `target` with the remote target as Request-URI and the route set as Route. It runs the session timer
 * (RFC 4028 §10) the 2xx that created it negotiated: refreshes at half the interval when we refresh,
 * BYE (termination reason `session-expired`) before expiry when the peer refreshes and stops; each
 * refresh either side sends restarts it (event `refreshed`).
 */
export interface SessionDialog extends Dialog {
  /** Where in-dialog requests are sent. */
  readonly target: SipNextHop;
  /** The peer's Contact URI, the Request-URI of our in-dialog requests (updated by target refreshes). */
  readonly remoteTarget: string;
  /**
   * Route set (RFC 3261 §12.1): the UAC's from the 2xx's Record-Route, reversed; the UAS's from the
   * INVITE's Record-Route, in order.
   */
  readonly routeSet: readonly string[];
  /** The running session timer (RFC 4028), or `undefined` when none was negotiated. */
  readonly sessionTimer: SessionTimerState | undefined;
  /**
   * Our current session description (the SDP of our last 2xx or offer): the offer of our session
   * refreshes, and a UAC dialog's default answer to the peer's re-INVITEs.
   */
  localSdp: string | undefined;
  /**
   * Sends a request inside the dialog and resolves with its final response (never rejects but for the
   * state). INVITE is a re-INVITE: its 2xx is ACKed (and re-ACKed on retransmissions); re-INVITEs are
   * queued so only one is pending (RFC 3261 §14.1). BYE ends the dialog (`local-bye`). A 481 or 408
   * ends it as `gone` (§12.2.1.2).
   * @throws InvalidStateError (INVALID_STATE) (as a rejection) when the dialog has ended.
   * @throws TypeError for ACK and CANCEL, which the stack sends itself.
   */
  request(method: string, init?: DialogRequestInit): Promise<SipResponse>;
  /**
   * Sends BYE (RFC 3261 §15.1.1) and ends the dialog with `local-bye` whatever the answer.
   * @throws InvalidStateError (INVALID_STATE) (as a rejection) when the dialog has ended.
   */
  bye(init?: DialogRequestInit): Promise<SipResponse>;
}

/**
 * A dialog we created with an INVITE (RFC 3261 §12.1.2). In-dialog requests go to `target` (the next
 * hop the INVITE went to, like an outbound proxy, RFC 3261 §8.1.2). Requests the peer sends inside it
 * reach `onRequest`'s handler (or the defaults of `replyDefault`), never the stack's method handlers.
 */
export interface UacDialog extends SessionDialog {
  /** Sets (or with `undefined` removes) the handler of requests the peer sends inside the dialog. */
  onRequest(handler: RequestHandler | undefined): void;
  /**
   * Answers a request of the peer as the dialog does without handler: re-INVITE/UPDATE 200 with
   * `localSdp` (a session refresh needs no handler, RFC 4028 §9), BYE 200 (ends the dialog), OPTIONS and
   * INFO 200, anything else 405. A re-INVITE with an offer while we have no `localSdp` gets 488.
   */
  replyDefault(request: IncomingRequest): void;
}

/** Reachability of a pinged target. */
export type PeerState = "unknown" | "up" | "down";

/** Options of `SipStack.ping`. */
export interface PingOptions {
  /** Time from one OPTIONS to the next, ms (the next is sent only after the previous completed). */
  intervalMs: number;
  /** Request-URI. @default `sip:HOST:PORT` (`sips:` for TLS, `;transport=tcp` for TCP) */
  uri?: string;
  /** From URI. @default as {@link OutgoingRequestInit.from} */
  from?: string;
  /**
   * Decides whether a final response from the peer means "up". @default every status but 408 and 503:
   * a peer that answers at all (even 404 or 405 to OPTIONS) is alive, while 503 says it refuses work
   * (the SRS that answers OPTIONS 200 but INVITEs 503 is the known trap, so 503 must count as down) and
   * 408 comes from a proxy that could not reach it. Local timeouts and transport failures are always
   * down. Stricter SBCs (e.g. an OpenSIPS dispatcher) count only the codes they are configured with.
   */
  isUp?: (response: SipResponse) => boolean;
}

/** Events of an {@link OptionsPinger}. */
export type OptionsPingerEvents = {
  /** The state changed (the first result always reports one); `response` decided it. */
  change: [state: "up" | "down", response: SipResponse];
  /** Every final response (incl. local 408/503). */
  response: [response: SipResponse];
  /** Private: `stop()` was called (the stack forgets the pinger). */
  "@stopped": [];
};

/** OPTIONS keep-alive of one target (RFC 3261 §11), as SBCs ping their SRSs. */
export interface OptionsPinger extends TypedEmitter<OptionsPingerEvents> {
  /** The pinged target. */
  readonly target: SipNextHop;
  /** Current state; `unknown` until the first answer. */
  readonly state: PeerState;
  /** Stops pinging (the OPTIONS in flight completes unheard); idempotent. */
  stop(): void;
}
