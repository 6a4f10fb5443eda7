import type { TypedEmitter } from "../../lib/index.ts";

/** Why a dialog ended: BYE received, no ACK for our 2xx within 64·T1 (RFC 3261 §13.3.1.4), or local close. */
export type DialogTerminationReason = "bye" | "no-ack" | "closed";

/** State of a UAS dialog (RFC 3261 §12): early (1xx with tag), confirmed (ACK received), terminated. */
export type DialogState = "early" | "confirmed" | "terminated";

/** Events of a {@link Dialog}. */
export type DialogEvents = {
  /** The ACK for our 2xx arrived (RFC 3261 §13.3.1.4). */
  confirmed: [];
  /** The dialog ended (fired once). */
  terminated: [reason: DialogTerminationReason];
};

/**
 * A UAS-side dialog (RFC 3261 §12), identified by Call-ID, local tag (our To tag) and remote tag
 * (the caller's From tag).
 */
export interface Dialog extends TypedEmitter<DialogEvents> {
  /** `callId;localTag;remoteTag`, unique per dialog. */
  readonly id: string;
  /** SIP Call-ID. */
  readonly callId: string;
  /** Our tag (To tag of our responses). */
  readonly localTag: string;
  /** The peer's tag (From tag of its requests). */
  readonly remoteTag: string;
  /** Current state. */
  readonly state: DialogState;
  /** Ends the dialog locally (no BYE is sent); emits `terminated` once; idempotent. */
  terminate(reason: DialogTerminationReason): void;
}
