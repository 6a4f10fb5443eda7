import type { Clock } from "../../lib/index.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import type { SipTimers } from "../transaction/timers.ts";
import { type DialogContext, DialogImpl, dialogId } from "./dialog.ts";
import type { DialogTerminationReason } from "./dialog-types.ts";

/** Options of {@link DialogLayer}. */
export interface DialogLayerOptions {
  /** Clock for 2xx retransmission. */
  clock: Clock;
  /** T1/T2. */
  timers: SipTimers;
}

/**
 * The dialogs of a stack (RFC 3261 §12): UAS dialogs created by our 2xx to an INVITE, UAC dialogs by
 * the 2xx to our INVITE. In-dialog requests match by Call-ID, To tag (ours) and From tag (theirs)
 * (§12.2.2) whichever side created the dialog; dialogs are forgotten when terminated.
 */
export class DialogLayer {
  readonly #dialogs = new Map<string, DialogImpl>();
  readonly #options: DialogLayerOptions;

  constructor(options: DialogLayerOptions) {
    this.#options = options;
  }

  /** Number of live dialogs. */
  get size(): number {
    return this.#dialogs.size;
  }

  /** Creates the dialog of an initial INVITE answered 2xx with our `localTag` (RFC 3261 §12.1.1). */
  create(invite: SipRequest, localTag: string): DialogImpl {
    return this.adopt(
      (context) => new DialogImpl(invite.callId ?? "", localTag, invite.from?.tag ?? "", context),
    );
  }

  /** Builds a dialog (e.g. a UAC dialog, RFC 3261 §12.1.2) with this layer's context and registers it. */
  adopt<T extends DialogImpl>(make: (context: DialogContext) => T): T {
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
  match(request: SipRequest): DialogImpl | undefined {
    const localTag = request.to?.tag;
    if (localTag === undefined) return undefined;
    return this.#dialogs.get(dialogId(request.callId ?? "", localTag, request.from?.tag ?? ""));
  }

  /** The dialog a response to one of our requests belongs to (From tag ours, To tag theirs), or `undefined`. */
  matchResponse(response: SipResponse): DialogImpl | undefined {
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
