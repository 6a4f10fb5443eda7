import { errorMessage, InvalidStateError } from "../../lib/index.ts";
import { type DialogContext, DialogImpl } from "../dialog/dialog.ts";
import type { DialogTerminationReason, SessionTimerState } from "../dialog/dialog-types.ts";
import { formatSessionExpires, negotiatedTimer, parseMinSe, SessionTimer } from "../dialog/session-timer.ts";
import { parseNameAddr } from "../message/name-addr.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import { SipLocalResponse } from "../transaction/local-response.ts";
import type { SipNextHop } from "../transport/next-hop.ts";
import type { IncomingRequestImpl } from "./incoming-request.ts";
import { answerRemoteRefresh } from "./remote-refresh.ts";
import { buildRequest } from "./request-builder.ts";
import type { DialogTimerSettings, SessionDialogCore, SessionDialogSetup } from "./session-dialog-types.ts";
import type { DialogRequestInit, SessionDialog } from "./uac-types.ts";

const isSuccess = (response: SipResponse): boolean => response.status >= 200 && response.status < 300;

const isTimeout = (response: SipResponse): boolean =>
  response instanceof SipLocalResponse ? response.cause === "timeout" : response.status === 408;

/** The text of a body given as string or bytes. */
export function bodyText(body: Uint8Array | string): string {
  return typeof body === "string" ? body : new TextDecoder().decode(body);
}

/**
 * A dialog of either side that sends requests (RFC 3261 §12.2.1): the local CSeq, the route set as
 * Route and the remote target as Request-URI; re-INVITEs queued one at a time with their ACKs (re-sent
 * for retransmitted 2xx); session timers (RFC 4028 §10): refreshes at half the interval when we
 * refresh, BYE before expiry when the peer fails to. The peer's re-INVITE/UPDATE pass
 * {@link SessionDialogImpl.admitRemote} first (CSeq order, glare, target and session refresh). As the
 * UAS of the peer's INVITEs it inherits 2xx retransmission until ACK from {@link DialogImpl}.
 */
export class SessionDialogImpl extends DialogImpl implements SessionDialog {
  readonly routeSet: readonly string[];
  localSdp: string | undefined;
  #remoteTarget: string;
  // Next hop of our requests, and where to go once it cannot be reached.
  #target: SipNextHop;
  #fallbackTarget: SipNextHop | undefined;
  readonly #setup: SessionDialogSetup;
  readonly #core: SessionDialogCore;
  readonly #timer: SessionTimer;
  #localCSeq: number;
  #remoteCSeq: number | undefined;
  #refreshWithUpdate: boolean;
  // The ACK of our last 2xx-answered INVITE, re-sent for retransmissions of that 2xx.
  #ack: { cseq: number; resend: (() => void) | undefined } | undefined;
  // Our re-INVITEs run one after another (RFC 3261 §14.1).
  #inviteQueue: Promise<unknown> = Promise.resolve();
  #invitePending = false;
  // Set once BYE was sent.
  #ending = false;

  /** @internal Created by the stack when a 2xx establishes the dialog. */
  constructor(setup: SessionDialogSetup, context: DialogContext, core: SessionDialogCore) {
    super(setup.callId, setup.localTag, setup.remoteTag, context, setup.initialState);
    this.#setup = setup;
    this.#core = core;
    this.#target = setup.target;
    this.#fallbackTarget = setup.fallbackTarget;
    this.routeSet = setup.routeSet;
    this.localSdp = setup.localSdp;
    this.#remoteTarget = setup.remoteTarget;
    this.#localCSeq = setup.localCSeq;
    this.#remoteCSeq = setup.remoteCSeq;
    this.#refreshWithUpdate = setup.refreshWithUpdate;
    this.#timer = new SessionTimer(core.clock, {
      refresh: () => void this.#refresh(),
      expire: () => this.#endWithBye("session-expired"),
    });
    this.#timer.start(setup.sessionTimer);
  }

  /** Whether the dialog still runs (not terminated, no BYE sent). */
  get #live(): boolean {
    return this.state !== "terminated" && !this.#ending;
  }

  get target(): SipNextHop {
    return this.#target;
  }

  get remoteTarget(): string {
    return this.#remoteTarget;
  }

  get sessionTimer(): SessionTimerState | undefined {
    return this.#timer.state;
  }

  /** Whether one of our re-INVITEs is waiting for its final response (the peer's INVITE then gets 491). */
  get invitePending(): boolean {
    return this.#invitePending;
  }

  /** Session-timer settings, `undefined` when disabled. */
  get timerSettings(): DialogTimerSettings | undefined {
    return this.#setup.timer;
  }

  request(method: string, init: DialogRequestInit = {}): Promise<SipResponse> {
    if (method === "ACK" || method === "CANCEL")
      throw new TypeError(`${method} is sent by the SIP stack itself`);
    if (!this.#live) return Promise.reject(new InvalidStateError(`dialog ${this.id} has ended`));
    if (method === "BYE") return this.bye(init);
    if (method === "INVITE") return this.#queueInvite(init).then((response) => this.#checkGone(response));
    return this.#send(method, init).then((response) => this.#checkGone(response));
  }

  bye(init: DialogRequestInit = {}): Promise<SipResponse> {
    if (!this.#live) return Promise.reject(new InvalidStateError(`dialog ${this.id} has ended`));
    return this.#sendBye(init, "local-bye");
  }

  /** @internal Records the ACK of the initial INVITE's 2xx, for its retransmissions. */
  setAck(cseq: number, resend: (() => void) | undefined): void {
    this.#ack = { cseq, resend };
  }

  /** @internal A 2xx retransmission for `cseq` (in its transaction or stray): re-send the ACK. */
  resendAck(cseq: number | undefined): void {
    if (this.#ack && this.#ack.cseq === cseq) this.#ack.resend?.();
  }

  /**
   * @internal Checks a request the peer sent inside this dialog before anyone answers it: a CSeq
   * lower than the last one gets 500 (RFC 3261 §12.2.2); a re-INVITE/UPDATE goes through
   * {@link answerRemoteRefresh} (491 on glare, 422 below our Min-SE, session-timer headers on its 2xx).
   * @returns `false` when the request was answered here.
   */
  admitRemote(incoming: IncomingRequestImpl): boolean {
    const seq = incoming.message.cseq?.seq ?? 0;
    if (this.#remoteCSeq !== undefined && seq < this.#remoteCSeq) {
      incoming.reply(500, "CSeq Out of Order");
      return false;
    }
    this.#remoteCSeq = seq;
    return answerRemoteRefresh(this, incoming, (state) => this.#refreshed("remote", state));
  }

  /** @internal Updates the remote target from a target-refresh request or its 2xx (RFC 3261 §12.2). */
  refreshTarget(message: SipRequest | SipResponse): void {
    const contact = message.headers.get("contact");
    if (contact === undefined) return;
    try {
      this.#remoteTarget = parseNameAddr(contact).uri;
    } catch {
      this.#core.logger.debug("ignored bad Contact in dialog", { dialog: this.id });
    }
  }

  /**
   * Ends the dialog. A 2xx of ours the peer never ACKed in a confirmed dialog ends it with BYE
   * (RFC 3261 §13.3.1.4); an initial 2xx never ACKed ends it silently (the peer never had the dialog).
   */
  override terminate(reason: DialogTerminationReason): void {
    if (this.state === "terminated") return;
    this.#timer.stop();
    if (reason === "no-ack" && this.state === "confirmed" && !this.#ending) {
      void this.#sendBye({}, "no-ack");
      return;
    }
    super.terminate(reason);
  }

  /** A session refresh completed (ours or the peer's): restart the timer and report it. */
  #refreshed(by: "local" | "remote", state: SessionTimerState | undefined): void {
    if (this.state === "terminated") return;
    this.#timer.start(state);
    this.safeEmit("refreshed", by, state);
  }

  #build(method: string, init: DialogRequestInit, extra: Record<string, string> = {}): SipRequest {
    const refresh = method === "INVITE" || method === "UPDATE";
    return buildRequest({
      method,
      uri: this.#remoteTarget,
      from: this.#setup.from,
      to: this.#setup.to,
      callId: this.callId,
      cseq: method === "ACK" ? this.#localCSeq : ++this.#localCSeq,
      ...(refresh ? { contact: this.#setup.contact } : {}),
      routes: this.routeSet,
      headers: { ...extra, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(init.contentType === undefined ? {} : { contentType: init.contentType }),
    });
  }

  /**
   * Sends to `target`; when it cannot be reached at all, to the fallback target, which becomes the
   * target of every later request once it answers.
   */
  async #transmit(request: SipRequest, onRetransmitted2xx?: () => void): Promise<SipResponse> {
    const response = await this.#core.send(this.#target, request, onRetransmitted2xx);
    const fallback = this.#fallbackTarget;
    if (!fallback || !(response instanceof SipLocalResponse) || response.cause !== "transport") {
      return response;
    }
    request.headers.delete("via");
    const retried = await this.#core.send(fallback, request, onRetransmitted2xx);
    if (!(retried instanceof SipLocalResponse && retried.cause === "transport")) {
      this.#target = fallback;
      this.#fallbackTarget = undefined;
    }
    return retried;
  }

  /** Session-timer headers of our re-INVITE/UPDATE (RFC 4028 §7.1, §10): keep the running terms. */
  #timerHeaders(): Record<string, string> {
    const settings = this.#setup.timer;
    if (!settings) return {};
    const current = this.#timer.state;
    const intervalS = Math.max(current?.intervalS ?? settings.expiresS, settings.minSeS);
    const refresher = current ? (current.refresher === "local" ? "uac" : "uas") : settings.refresher;
    return {
      Supported: "timer",
      "Session-Expires": formatSessionExpires(intervalS, refresher),
      "Min-SE": String(settings.minSeS),
    };
  }

  #queueInvite(init: DialogRequestInit): Promise<SipResponse> {
    const run = this.#inviteQueue.then(() => this.#reinvite(init));
    this.#inviteQueue = run.catch(() => undefined);
    return run;
  }

  async #reinvite(init: DialogRequestInit): Promise<SipResponse> {
    if (!this.#live) throw new InvalidStateError(`dialog ${this.id} has ended`);
    this.#invitePending = true;
    const request = this.#build("INVITE", init, this.#timerHeaders());
    const cseq = request.cseq?.seq ?? 0;
    const response = await this.#transmit(request, () => this.resendAck(cseq));
    this.#invitePending = false;
    if (isSuccess(response)) {
      this.#ack = { cseq, resend: undefined };
      const resend = await this.#core.sendAck(this.target, this.#build("ACK", {}));
      if (this.#ack.cseq === cseq) this.#ack.resend = resend;
      this.#acceptRefresh(response, init);
    }
    return response;
  }

  async #send(method: string, init: DialogRequestInit): Promise<SipResponse> {
    const extra = method === "UPDATE" ? this.#timerHeaders() : {};
    const response = await this.#transmit(this.#build(method, init, extra));
    if (method === "UPDATE" && isSuccess(response)) this.#acceptRefresh(response, init);
    return response;
  }

  /** A 2xx to our re-INVITE/UPDATE: new SDP, remote target, and session timer (RFC 4028 §7.4). */
  #acceptRefresh(response: SipResponse, init: DialogRequestInit): void {
    if (init.sdp !== undefined) this.localSdp = init.sdp;
    else if (init.body !== undefined && init.contentType?.toLowerCase().startsWith("application/sdp")) {
      this.localSdp = bodyText(init.body);
    }
    this.refreshTarget(response);
    const state = this.#setup.timer
      ? negotiatedTimer(response.headers.get("session-expires"), "uac")
      : undefined;
    const kept = this.#setup.timer && this.#setup.refreshKeepsTimer ? this.#timer.state : undefined;
    this.#refreshed("local", state ?? kept);
  }

  /** RFC 3261 §12.2.1.2: a 481 or 408 (incl. a local timeout) to an in-dialog request ends the dialog. */
  #checkGone(response: SipResponse): SipResponse {
    if (response.status === 481 || isTimeout(response)) this.terminate("gone");
    return response;
  }

  /**
   * Sends a refresh (RFC 4028 §10): a bodiless UPDATE when the peer allows it or we have no SDP, else a
   * re-INVITE with the unchanged SDP.
   */
  async #refresh(): Promise<void> {
    if (!this.#live) return;
    const sdp = this.localSdp;
    const update = sdp === undefined || this.#refreshWithUpdate;
    let response: SipResponse;
    try {
      response = update
        ? await this.#send("UPDATE", {})
        : await this.#queueInvite({ body: sdp, contentType: "application/sdp" });
    } catch (err) {
      this.#core.logger.debug("session refresh not sent", { dialog: this.id, error: errorMessage(err) });
      return;
    }
    if (!isSuccess(response) && this.#live) this.#refreshFailed(response, update);
  }

  /** What to do after a failed refresh (RFC 4028 §7.2, §10; RFC 3261 §14.1, §12.2.1.2; RFC 3311). */
  #refreshFailed(response: SipResponse, wasUpdate: boolean): void {
    const settings = this.#setup.timer;
    const minSe = parseMinSe(response.headers.get("min-se"));
    const unreachable = response instanceof SipLocalResponse && response.cause === "transport";
    if (response.status === 422 && settings && minSe !== undefined && minSe > settings.minSeS) {
      settings.minSeS = minSe;
      this.#timer.retryIn(0);
    } else if (response.status === 491) {
      this.#timer.retryIn(2100 + Math.random() * 1900);
    } else if (
      wasUpdate &&
      this.localSdp !== undefined &&
      (response.status === 405 || response.status === 501)
    ) {
      this.#refreshWithUpdate = false;
      this.#timer.retryIn(0);
    } else if (response.status === 481) {
      this.terminate("gone");
    } else if (isTimeout(response) || unreachable) {
      this.#endWithBye("refresh-failed");
    } else {
      this.#core.logger.warn("session refresh refused; the session ends at expiry", {
        dialog: this.id,
        status: response.status,
      });
      this.#timer.start(this.#timer.state && { ...this.#timer.state, refresher: "remote" });
    }
  }

  #endWithBye(reason: DialogTerminationReason): void {
    if (!this.#live) return;
    void this.#sendBye({}, reason);
  }

  /** Sends BYE; the dialog ends (emits `terminated`) as soon as it is sent (RFC 3261 §15.1.1). */
  #sendBye(init: DialogRequestInit, reason: DialogTerminationReason): Promise<SipResponse> {
    this.#ending = true;
    this.#timer.stop();
    const sent = this.#transmit(this.#build("BYE", init));
    super.terminate(reason);
    return sent;
  }
}
