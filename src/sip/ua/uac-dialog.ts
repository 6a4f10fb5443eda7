import type { DialogContext } from "../dialog/dialog.ts";
import type { IncomingRequestImpl } from "./incoming-request.ts";
import type { IncomingRequest, RequestHandler } from "./request-types.ts";
import { SessionDialogImpl } from "./session-dialog.ts";
import type { SessionDialogCore, SessionDialogSetup } from "./session-dialog-types.ts";
import { replyDefault } from "./uac-dialog-inbound.ts";
import type { UacDialog } from "./uac-types.ts";

/** Everything known about a UAC dialog when the 2xx to our INVITE arrives (RFC 3261 §12.1.2). */
export interface UacDialogSetup extends SessionDialogSetup {
  /** Handler of the peer's in-dialog requests. */
  handler: RequestHandler | undefined;
}

/**
 * A UAC dialog (RFC 3261 §12.1.2): a {@link SessionDialogImpl} whose peer's in-dialog requests go to
 * its own handler (or the defaults of {@link replyDefault}), never to the stack's method handlers.
 */
export class UacDialogImpl extends SessionDialogImpl implements UacDialog {
  #handler: RequestHandler | undefined;

  /** @internal Created by the stack on a 2xx to our INVITE. */
  constructor(setup: UacDialogSetup, context: DialogContext, core: SessionDialogCore) {
    super(setup, context, core);
    this.#handler = setup.handler;
  }

  onRequest(handler: RequestHandler | undefined): void {
    this.#handler = handler;
  }

  replyDefault(request: IncomingRequest): void {
    replyDefault(this, request);
  }

  /** @internal A request the peer sent inside this dialog (routed here by the stack). */
  handleRemote(incoming: IncomingRequestImpl): void | Promise<void> {
    if (!this.admitRemote(incoming)) return;
    const handler = this.#handler;
    if (handler) return handler(incoming);
    replyDefault(this, incoming);
  }
}
