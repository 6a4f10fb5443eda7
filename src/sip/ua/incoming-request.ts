import { InvalidStateError } from "../../lib/index.ts";
import { buildResponse } from "../message/build-response.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import type { ServerTx } from "../transaction/server-tx.ts";
import type { SipEndpoint } from "../transport/listen-spec.ts";
import type { IncomingRequest, ReplyOptions } from "./request-types.ts";
import type { SessionDialogImpl } from "./session-dialog.ts";

/** What an incoming request needs from the UA core. */
export interface IncomingRequestCore {
  /** Creates the dialog of an initial INVITE answered 2xx (`response`, RFC 3261 §12.1.1). */
  createDialog(invite: SipRequest, localTag: string, response: SipResponse): SessionDialogImpl;
  /** Starts retransmitting a 2xx until its ACK (RFC 3261 §13.3.1.4). */
  retransmitUntilAck(dialog: SessionDialogImpl, response: SipResponse, tx: ServerTx): void;
}

/** Adjusts the options of a reply before it is built (e.g. session-timer headers on a 2xx, RFC 4028 §9). */
export type ReplyHook = (status: number, options: ReplyOptions) => ReplyOptions;

/**
 * The {@link IncomingRequest} given to handlers: replies go through the server transaction; a 2xx
 * to an INVITE creates (or refreshes) the dialog and starts 2xx retransmission; a 2xx to a BYE
 * terminates the dialog (`bye`).
 */
export class IncomingRequestImpl implements IncomingRequest {
  readonly message: SipRequest;
  readonly source: SipEndpoint;
  readonly local: SipEndpoint;
  readonly dialog: SessionDialogImpl | undefined;
  /** Our To tag for this request's responses (RFC 3261 §8.2.6.2): the request's, else a new one. */
  readonly localTag: string;
  readonly #tx: ServerTx;
  readonly #core: IncomingRequestCore;
  readonly #abort = new AbortController();
  #hook: ReplyHook | undefined;

  constructor(
    request: SipRequest,
    tx: ServerTx,
    flow: { source: SipEndpoint; local: SipEndpoint },
    dialog: SessionDialogImpl | undefined,
    localTag: string,
    core: IncomingRequestCore,
  ) {
    this.message = request;
    this.#tx = tx;
    this.source = flow.source;
    this.local = flow.local;
    this.dialog = dialog;
    this.localTag = localTag;
    this.#core = core;
  }

  get cancelled(): AbortSignal {
    return this.#abort.signal;
  }

  /** Whether no further final response can be sent (one was sent, or the transaction ended). */
  get finished(): boolean {
    return this.#tx.finalSent || this.#tx.state === "terminated";
  }

  /** @internal Sets the hook that adjusts every reply's options (one hook; a second call replaces it). */
  setReplyHook(hook: ReplyHook): void {
    this.#hook = hook;
  }

  reply(status: number, reason?: string, replyOptions: ReplyOptions = {}): SessionDialogImpl | undefined {
    if (this.finished) {
      throw new InvalidStateError(`${this.message.method} already answered or its transaction ended`);
    }
    const options = this.#hook ? this.#hook(status, replyOptions) : replyOptions;
    const hasToTag = this.message.to?.tag !== undefined;
    const response = buildResponse(this.message, status, reason, {
      ...options,
      ...(status > 100 && !hasToTag ? { toTag: this.localTag } : {}),
    });
    this.#tx.respond(response);
    if (status < 200 || status >= 300) return undefined;
    if (this.message.method === "INVITE") {
      const dialog = this.dialog ?? this.#core.createDialog(this.message, this.localTag, response);
      this.#core.retransmitUntilAck(dialog, response, this.#tx);
      return dialog;
    }
    if (this.message.method === "BYE") this.dialog?.terminate("bye");
    return undefined;
  }

  /** @internal Aborts `cancelled` (CANCEL, transport failure, shutdown). */
  abort(reason: string): void {
    this.#abort.abort(reason);
  }
}
