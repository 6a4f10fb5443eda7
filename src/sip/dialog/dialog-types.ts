import type { TypedEmitter } from "../../lib/index.ts";

/**
 * Why a dialog ended:
 * - `bye`: the peer sent BYE;
 * - `no-ack`: no ACK for our 2xx within 64·T1 (RFC 3261 §13.3.1.4);
 * - `closed`: ended locally without signalling (`terminate`, stack shutdown);
 * - `local-bye`: we sent BYE (RFC 3261 §15.1.1);
 * - `session-expired`: the peer, being the refresher, did not refresh the session in time and we sent
 *   BYE (RFC 4028 §10);
 * - `refresh-failed`: our session refresh timed out or got 408/481 and we sent BYE (RFC 4028 §10);
 * - `gone`: an in-dialog request got 481 or 408, or timed out (RFC 3261 §12.2.1.2).
 */
export type DialogTerminationReason =
  | "bye"
  | "no-ack"
  | "closed"
  | "local-bye"
  | "session-expired"
  | "refresh-failed"
  | "gone";

/** State of a UAS dialog (RFC 3261 §12): early (1xx with tag), confirmed (ACK received), terminated. */
export type DialogState = "early" | "confirmed" | "terminated";

/** A negotiated session timer (RFC 4028): its interval and which side refreshes. */
export interface SessionTimerState {
  /** Session interval (Session-Expires delta), seconds. */
  intervalS: number;
  /** Who sends the refreshes: we (`local`) or the peer (`remote`). */
  refresher: "local" | "remote";
}

/** Events of a {@link Dialog}. */
export type DialogEvents = {
  /** The ACK for our 2xx arrived (RFC 3261 §13.3.1.4); UAC dialogs start confirmed and never emit it. */
  confirmed: [];
  /**
   * A 2xx to a re-INVITE or UPDATE refreshed the session (RFC 4028 §10), sent by us (`local`) or by the
   * peer (`remote`); `timer` is the session timer now running, if any.
   */
  refreshed: [by: "local" | "remote", timer: SessionTimerState | undefined];
  /** The dialog ended (fired once). */
  terminated: [reason: DialogTerminationReason];
};

/**
 * A dialog (RFC 3261 §12), identified by Call-ID, local tag and remote tag: on the UAS side our To tag
 * and the caller's From tag; on the UAC side (`UacDialog`) our From tag and the callee's To tag. The
 * stack's dialogs are `SessionDialog`s, which also send requests.
 */
export interface Dialog extends TypedEmitter<DialogEvents> {
  /** `callId;localTag;remoteTag`, unique per dialog. */
  readonly id: string;
  /** SIP Call-ID. */
  readonly callId: string;
  /** Our tag (UAS: the To tag of our responses; UAC: our From tag). */
  readonly localTag: string;
  /** The peer's tag (UAS: the From tag of its requests; UAC: the To tag of its 2xx). */
  readonly remoteTag: string;
  /** Current state. */
  readonly state: DialogState;
  /** Ends the dialog locally (no BYE is sent); emits `terminated` once; idempotent. */
  terminate(reason: DialogTerminationReason): void;
}
