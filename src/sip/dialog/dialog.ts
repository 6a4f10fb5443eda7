import type { Clock, TimerHandle } from "../../lib/index.ts";
import { TypedEmitter } from "../../lib/index.ts";
import type { SipTimers } from "../transaction/timers.ts";
import type { Dialog, DialogEvents, DialogState, DialogTerminationReason } from "./dialog-types.ts";

/** What a dialog needs from the layer that owns it. */
export interface DialogContext {
  /** Clock for 2xx retransmission and the ACK wait. */
  clock: Clock;
  /** T1/T2. */
  timers: SipTimers;
  /** Called once when the dialog terminates (the owner forgets it). */
  onTerminated(dialog: DialogImpl): void;
}

/** A 2xx waiting for its ACK. */
interface AckWait {
  cseq: number;
  retransmit: TimerHandle | undefined;
  giveUp: TimerHandle;
}

/**
 * A dialog as seen by its UAS side (RFC 3261 §12.1.1): after each 2xx we send to an INVITE (the
 * initial one, or a re-INVITE inside a UAC dialog) it retransmits the 2xx (T1, doubling up to T2)
 * until the ACK with the same CSeq arrives (§13.3.1.4); with no ACK within 64·T1 it terminates with
 * `no-ack`. The first ACK moves it from `early` to `confirmed`.
 */
export class DialogImpl extends TypedEmitter<DialogEvents> implements Dialog {
  readonly id: string;
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly #context: DialogContext;
  #state: DialogState = "early";
  #ackWait: AckWait | undefined;

  /** @internal Created by the dialog layer; a UAC dialog starts `confirmed` (we sent the ACK). */
  constructor(
    callId: string,
    localTag: string,
    remoteTag: string,
    context: DialogContext,
    initialState: DialogState = "early",
  ) {
    super();
    this.id = dialogId(callId, localTag, remoteTag);
    this.callId = callId;
    this.localTag = localTag;
    this.remoteTag = remoteTag;
    this.#context = context;
    this.#state = initialState;
  }

  get state(): DialogState {
    return this.#state;
  }

  /**
   * Starts retransmitting a 2xx (through `resend`) until the ACK for `cseq` arrives
   * (RFC 3261 §13.3.1.4). Replaces any earlier wait.
   */
  awaitAck(cseq: number, resend: () => void): void {
    if (this.#state === "terminated") return;
    this.#stopAckWait();
    const { clock, timers } = this.#context;
    const wait: AckWait = {
      cseq,
      retransmit: undefined,
      giveUp: clock.setTimeout(() => this.terminate("no-ack"), 64 * timers.t1),
    };
    const schedule = (interval: number): void => {
      wait.retransmit = clock.setTimeout(() => {
        resend();
        schedule(Math.min(2 * interval, timers.t2));
      }, interval);
    };
    schedule(timers.t1);
    this.#ackWait = wait;
  }

  /** Handles an ACK for a 2xx (RFC 3261 §13.3.1.4): stops retransmission, confirms the dialog. */
  receiveAck(cseq: number): void {
    if (this.#state === "terminated") return;
    if (this.#ackWait?.cseq === cseq) this.#stopAckWait();
    if (this.#state === "early") {
      this.#state = "confirmed";
      this.safeEmit("confirmed");
    }
  }

  terminate(reason: DialogTerminationReason): void {
    if (this.#state === "terminated") return;
    this.#stopAckWait();
    this.#state = "terminated";
    this.#context.onTerminated(this);
    this.safeEmit("terminated", reason);
  }

  #stopAckWait(): void {
    const wait = this.#ackWait;
    if (!wait) return;
    this.#context.clock.clearTimer(wait.retransmit);
    this.#context.clock.clearTimer(wait.giveUp);
    this.#ackWait = undefined;
  }
}

/** The dialog id of RFC 3261 §12: Call-ID, local tag, remote tag. */
export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId};${localTag};${remoteTag}`;
}
