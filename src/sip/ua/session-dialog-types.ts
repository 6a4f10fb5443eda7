import type { Clock, Logger } from "../../lib/index.ts";
import type { DialogState, SessionTimerState } from "../dialog/dialog-types.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import type { SipNextHop } from "../transport/next-hop.ts";

/** What a dialog needs from the stack to send. */
export interface SessionDialogCore {
  /** Sends `request` to `target` in a new client transaction; resolves with the final response. */
  send(target: SipNextHop, request: SipRequest, onRetransmitted2xx?: () => void): Promise<SipResponse>;
  /** Sends the ACK of a 2xx; resolves with a function that re-sends it (`undefined`: unreachable). */
  sendAck(target: SipNextHop, ack: SipRequest): Promise<(() => void) | undefined>;
  /** Clock of the session timer. */
  clock: Clock;
  /** Logger. */
  logger: Logger;
}

/** Session-timer settings of a dialog (RFC 4028). */
export interface DialogTimerSettings {
  /** Interval we ask for in our refreshes when none runs, seconds. */
  expiresS: number;
  /** Smallest interval we accept, seconds; raised by a 422's Min-SE. */
  minSeS: number;
  /** Refresher we ask for; unset lets the peer choose. */
  refresher?: "uac" | "uas";
}

/** Everything a dialog knows when it is established (RFC 3261 §12.1.1 for the UAS, §12.1.2 for the UAC). */
export interface SessionDialogSetup {
  /** Call-ID. */
  callId: string;
  /** Our tag. */
  localTag: string;
  /** The peer's tag. */
  remoteTag: string;
  /** The From header value of our requests (our URI and tag). */
  from: string;
  /** The To header value of our requests (the peer's URI and tag). */
  to: string;
  /** Our Contact header value. */
  contact: string;
  /** The peer's Contact URI: Request-URI of our requests. */
  remoteTarget: string;
  /** Route set, in the order of our Route headers. */
  routeSet: string[];
  /** Next hop of every in-dialog request. */
  target: SipNextHop;
  /**
   * Where to send when `target` cannot be reached (a local 503: connect or transport failure), e.g.
   * the peer's Contact when the connection its INVITE came on has closed.
   */
  fallbackTarget?: SipNextHop;
  /** CSeq number of our last request (the UAC's INVITE; 0 for a UAS, whose first request gets 1). */
  localCSeq: number;
  /** CSeq number of the peer's last request (the UAS's INVITE), if any. */
  remoteCSeq: number | undefined;
  /** State to start in: a UAC dialog is `confirmed` (ACK sent), a UAS dialog `early` (awaiting the ACK). */
  initialState: DialogState;
  /** Our session description. */
  localSdp: string | undefined;
  /** Session timers; `undefined` when disabled. */
  timer: DialogTimerSettings | undefined;
  /** The timer negotiated by the 2xx. */
  sessionTimer: SessionTimerState | undefined;
  /**
   * The peer does not support timers (RFC 4028 §9 table, row "N"): a 2xx to our refresh without
   * Session-Expires keeps the running timer instead of ending it (§7.4).
   */
  refreshKeepsTimer: boolean;
  /** Refresh with a bodiless UPDATE (the peer allows UPDATE, RFC 3311) rather than a re-INVITE. */
  refreshWithUpdate: boolean;
}
