import type { Clock } from "../../lib/index.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipTimers } from "../transaction/timers.ts";
import { DialogImpl, dialogId } from "./dialog.ts";
import type { DialogTerminationReason } from "./dialog-types.ts";

/** Options of {@link DialogLayer}. */
export interface DialogLayerOptions {
  /** Clock for 2xx retransmission. */
  clock: Clock;
  /** T1/T2. */
  timers: SipTimers;
}

/**
 * The UAS dialogs of a stack (RFC 3261 §12): created by a 2xx to an INVITE, matched by Call-ID,
 * To tag (ours) and From tag (theirs) (§12.2.2), forgotten when terminated.
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
    const dialog = new DialogImpl(invite.callId ?? "", localTag, invite.from?.tag ?? "", {
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

  /** Terminates every dialog (stack shutdown). */
  closeAll(reason: DialogTerminationReason): void {
    for (const dialog of [...this.#dialogs.values()]) dialog.terminate(reason);
  }
}
