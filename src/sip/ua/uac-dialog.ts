import { type Clock, errorMessage, InvalidStateError, type Logger } from "../../lib/index.ts";
import { type DialogContext, DialogImpl } from "../dialog/dialog.ts";
import type { DialogTerminationReason, SessionTimerState } from "../dialog/dialog-types.ts";
import {
  formatSessionExpires,
  parseMinSe,
  parseSessionExpires,
  SessionTimer,
} from "../dialog/session-timer.ts";
import { parseNameAddr } from "../message/name-addr.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import { SipLocalResponse } from "../transaction/local-response.ts";
import type { SipNextHop } from "../transport/next-hop.ts";
import type { IncomingRequestImpl } from "./incoming-request.ts";
import { buildRequest } from "./request-builder.ts";
import type { IncomingRequest, RequestHandler } from "./request-types.ts";
import { answerRemoteRequest, replyDefault } from "./uac-dialog-inbound.ts";
import type { DialogRequestInit, UacDialog } from "./uac-types.ts";

/** What a UAC dialog needs from the stack to send. */
export interface UacDialogCore {
  /** Sends `request` to `target` in a new client transaction; resolves with the final response. */
  send(target: SipNextHop, request: SipRequest, onRetransmitted2xx?: () => void): Promise<SipResponse>;
  /** Sends the ACK of a 2xx; resolves with a function that re-sends it (`undefined`: unreachable). */
  sendAck(target: SipNextHop, ack: SipRequest): Promise<(() => void) | undefined>;
  /** Clock of the session timer. */
  clock: Clock;
  /** Logger. */
  logger: Logger;
}

/** Session-timer settings of a dialog (RFC 4028), from `InviteInit.sessionTimer`. */
export interface UacTimerSettings {
  /** Interval we ask for, seconds. */
  expiresS: number;
  /** Smallest interval we accept, seconds; raised by a 422's Min-SE. */
  minSeS: number;
  /** Refresher we ask for; unset lets the UAS choose. */
  refresher?: "uac" | "uas";
}

/** Everything known about a dialog when the 2xx to our INVITE arrives (RFC 3261 §12.1.2). */
export interface UacDialogSetup {
  /** Call-ID of the INVITE. */
  callId: string;
  /** Our From tag. */
  localTag: string;
  /** The To tag of the 2xx. */
  remoteTag: string;
  /** Our From header value (tag included). */
  from: string;
  /** The To header value of the 2xx (tag included). */
  to: string;
  /** Our Contact header value. */
  contact: string;
  /** The 2xx's Contact URI. */
  remoteTarget: string;
  /** Record-Route of the 2xx, reversed. */
  routeSet: string[];
  /** Next hop of every in-dialog request. */
  target: SipNextHop;
  /** CSeq number of the INVITE. */
  inviteCSeq: number;
  /** Our session description. */
  localSdp: string | undefined;
  /** Session timers; `undefined` when disabled. */
  timer: UacTimerSettings | undefined;
  /** The timer negotiated by the 2xx. */
  sessionTimer: SessionTimerState | undefined;
  /** Handler of the peer's in-dialog requests. */
  handler: RequestHandler | undefined;
}

const isSuccess = (response: SipResponse): boolean => response.status >= 200 && response.status < 300;

/** The text of a body given as string or bytes. */
export function bodyText(body: Uint8Array | string): string {
  return typeof body === "string" ? body : new TextDecoder().decode(body);
}

/**
 * A UAC dialog (RFC 3261 §12.1.2, §12.2.1): in-dialog requests with the local CSeq, route set and
 * remote target; re-INVITEs queued one at a time with their ACKs (re-sent for retransmitted 2xx);
 * session timers (RFC 4028 §10): refresh re-INVITEs at half the interval when we refresh, BYE before
 * expiry when the peer fails to; and the peer's in-dialog requests (see {@link answerRemoteRequest}).
 * As the UAS of the peer's re-INVITEs it inherits 2xx retransmission until ACK from {@link DialogImpl}.
 */
export class UacDialogImpl extends DialogImpl implements UacDialog {
  readonly target: SipNextHop;
  readonly routeSet: readonly string[];
  localSdp: string | undefined;
  #remoteTarget: string;
  readonly #setup: UacDialogSetup;
  readonly #core: UacDialogCore;
  readonly #timer: SessionTimer;
  #handler: RequestHandler | undefined;
  #localCSeq: number;
  #remoteCSeq: number | undefined;
  // The ACK of our last 2xx-answered INVITE, re-sent for retransmissions of that 2xx.
  #ack: { cseq: number; resend: (() => void) | undefined } | undefined;
  // Our re-INVITEs run one after another (RFC 3261 §14.1).
  #inviteQueue: Promise<unknown> = Promise.resolve();
  #invitePending = false;
  // Set once BYE was sent.
  #ending = false;

  /** @internal Created by the stack on a 2xx to our INVITE. */
  constructor(setup: UacDialogSetup, context: DialogContext, core: UacDialogCore) {
    super(setup.callId, setup.localTag, setup.remoteTag, context, "confirmed");
    this.#setup = setup;
    this.#core = core;
    this.target = setup.target;
    this.routeSet = setup.routeSet;
    this.localSdp = setup.localSdp;
    this.#remoteTarget = setup.remoteTarget;
    this.#handler = setup.handler;
    this.#localCSeq = setup.inviteCSeq;
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
  get timerSettings(): UacTimerSettings | undefined {
    return this.#setup.timer;
  }

  onRequest(handler: RequestHandler | undefined): void {
    this.#handler = handler;
  }

  request(method: string, init: DialogRequestInit = {}): Promise<SipResponse> {
    if (method === "ACK" || method === "CANCEL")
      throw new TypeError(`${method} is sent by the SIP stack itself`);
    if (this.state === "terminated" || this.#ending) {
      return Promise.reject(new InvalidStateError(`dialog ${this.id} has ended`));
    }
    if (method === "BYE") return this.bye(init);
    if (method === "INVITE") return this.#queueInvite(init).then((response) => this.#checkGone(response));
    return this.#send(method, init).then((response) => this.#checkGone(response));
  }

  bye(init: DialogRequestInit = {}): Promise<SipResponse> {
    if (this.state === "terminated" || this.#ending) {
      return Promise.reject(new InvalidStateError(`dialog ${this.id} has ended`));
    }
    return this.#sendBye(init, "local-bye");
  }

  replyDefault(request: IncomingRequest): void {
    replyDefault(this, request);
  }

  /** @internal Records the ACK of the initial INVITE's 2xx, for its retransmissions. */
  setAck(cseq: number, resend: (() => void) | undefined): void {
    this.#ack = { cseq, resend };
  }

  /** @internal A 2xx retransmission for `cseq` (in its transaction or stray): re-send the ACK. */
  resendAck(cseq: number | undefined): void {
    if (this.#ack && this.#ack.cseq === cseq) this.#ack.resend?.();
  }

  /** @internal A request the peer sent inside this dialog (routed here by the stack). */
  handleRemote(incoming: IncomingRequestImpl): void | Promise<void> {
    const seq = incoming.message.cseq?.seq ?? 0;
    if (this.#remoteCSeq !== undefined && seq < this.#remoteCSeq) {
      incoming.reply(500, "CSeq Out of Order");
      return;
    }
    this.#remoteCSeq = seq;
    if (!answerRemoteRequest(this, incoming, (by, state) => this.#refreshed(by, state))) return;
    const handler = this.#handler;
    if (handler) return handler(incoming);
    replyDefault(this, incoming);
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

  override terminate(reason: DialogTerminationReason): void {
    if (this.state === "terminated") return;
    this.#timer.stop();
    if (reason === "no-ack" && !this.#ending) {
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
    if (this.state === "terminated" || this.#ending) {
      throw new InvalidStateError(`dialog ${this.id} has ended`);
    }
    this.#invitePending = true;
    const request = this.#build("INVITE", init, this.#timerHeaders());
    const cseq = request.cseq?.seq ?? 0;
    const response = await this.#core.send(this.target, request, () => this.resendAck(cseq));
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
    const response = await this.#core.send(this.target, this.#build(method, init, extra));
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
    const se = this.#setup.timer ? parseSessionExpires(response.headers.get("session-expires")) : undefined;
    const state: SessionTimerState | undefined = se
      ? { intervalS: se.deltaS, refresher: (se.refresher ?? "uac") === "uac" ? "local" : "remote" }
      : undefined;
    this.#refreshed("local", state);
  }

  /** RFC 3261 §12.2.1.2: a 481 or 408 (incl. a local timeout) to an in-dialog request ends the dialog. */
  #checkGone(response: SipResponse): SipResponse {
    const timeout =
      response instanceof SipLocalResponse ? response.cause === "timeout" : response.status === 408;
    if (response.status === 481 || timeout) this.terminate("gone");
    return response;
  }

  /** Sends a refresh (RFC 4028 §10): re-INVITE with the unchanged SDP, or UPDATE when we have none. */
  async #refresh(): Promise<void> {
    if (this.state === "terminated" || this.#ending) return;
    const sdp = this.localSdp;
    let response: SipResponse;
    try {
      response =
        sdp === undefined
          ? await this.#send("UPDATE", {})
          : await this.#queueInvite({ body: sdp, contentType: "application/sdp" });
    } catch (err) {
      this.#core.logger.debug("session refresh not sent", { dialog: this.id, error: errorMessage(err) });
      return;
    }
    if (!isSuccess(response) && this.#live) this.#refreshFailed(response);
  }

  /** What to do after a failed refresh (RFC 4028 §7.2, §10; RFC 3261 §14.1, §12.2.1.2). */
  #refreshFailed(response: SipResponse): void {
    const settings = this.#setup.timer;
    const minSe = parseMinSe(response.headers.get("min-se"));
    if (response.status === 422 && settings && minSe !== undefined && minSe > settings.minSeS) {
      settings.minSeS = minSe;
      this.#timer.retryIn(0);
    } else if (response.status === 491) {
      this.#timer.retryIn(2100 + Math.random() * 1900);
    } else if (response.status === 481) {
      this.terminate("gone");
    } else if (
      response.status === 408 ||
      (response instanceof SipLocalResponse && response.cause === "timeout")
    ) {
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
    if (this.state === "terminated" || this.#ending) return;
    void this.#sendBye({}, reason);
  }

  /** Sends BYE; the dialog ends (emits `terminated`) as soon as it is sent (RFC 3261 §15.1.1). */
  #sendBye(init: DialogRequestInit, reason: DialogTerminationReason): Promise<SipResponse> {
    this.#ending = true;
    this.#timer.stop();
    const bye = this.#build("BYE", init);
    const sent = this.#core.send(this.target, bye);
    super.terminate(reason);
    return sent;
  }
}
