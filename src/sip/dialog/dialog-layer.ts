import type { Clock } from "../../lib/index.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import type { SipTimers } from "../transaction/timers.ts";
import { type DialogContext, type DialogImpl, dialogId } from "./dialog.ts";
import type { DialogTerminationReason } from "./dialog-types.ts";

/** Options of {@link DialogLayer}. */
export interface DialogLayerOptions {
  /** Clock for 2xx retransmission. */
  clock: Clock;
  /** T1/T2. */
  timers: SipTimers;
}

/**
 * The dialogs of a stack (RFC 3261 §12), of type `T`: UAS dialogs created by our 2xx to an INVITE, UAC
 * dialogs by the 2xx to our INVITE. In-dialog requests match by Call-ID, To tag (ours) and From tag
 * (theirs) (§12.2.2) whichever side created the dialog; dialogs are forgotten when terminated.
 */
export class DialogLayer<T extends DialogImpl = DialogImpl> {
  readonly #dialogs = new Map<string, T>();
  readonly #options: DialogLayerOptions;

  constructor(options: DialogLayerOptions) {
    this.#options = options;
  }

  /** Number of live dialogs. */
  get size(): number {
    return this.#dialogs.size;
  }

  /** Builds a dialog (RFC 3261 §12.1.1 UAS, §12.1.2 UAC) with this layer's context and registers it. */
  adopt<U extends T>(make: (context: DialogContext) => U): U {
    const dialog = make({
      clock: this.#options.clock,
      timers: this.#options.timers,
      onTerminated: (ended) => {
        if (this.#dialogs.get(ended.id) === ended) this.#dialogs.delete(ended.id);
      },
    });
    this.#dialogs.set(dialog.id, dialog);
    return dialog;
  }

  /** The dialog an in-dialog request belongs to (RFC 3261 §12.2.2), or `undefined`. */
  match(request: SipRequest): T | undefined {
    const localTag = request.to?.tag;
    if (localTag === undefined) return undefined;
    return this.#dialogs.get(dialogId(request.callId ?? "", localTag, request.from?.tag ?? ""));
  }

  /** The dialog a response to one of our requests belongs to (From tag ours, To tag theirs), or `undefined`. */
  matchResponse(response: SipResponse): T | undefined {
    const localTag = response.from?.tag;
    const remoteTag = response.to?.tag;
    if (localTag === undefined || remoteTag === undefined) return undefined;
    return this.#dialogs.get(dialogId(response.callId ?? "", localTag, remoteTag));
  }

  /** Terminates every dialog (stack shutdown). */
  closeAll(reason: DialogTerminationReason): void {
    for (const dialog of [...this.#dialogs.values()]) dialog.terminate(reason);
  }
}
