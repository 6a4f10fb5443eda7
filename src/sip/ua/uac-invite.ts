import { randomHex } from "../../lib/index.ts";
import type { DialogLayer } from "../dialog/dialog-layer.ts";
import type { SessionTimerState } from "../dialog/dialog-types.ts";
import {
  defaultSessionExpiresS,
  formatSessionExpires,
  minimumMinSeS,
  negotiatedTimer,
  parseMinSe,
} from "../dialog/session-timer.ts";
import { parseNameAddr } from "../message/name-addr.ts";
import type { SipRequest } from "../message/request.ts";
import type { SipResponse } from "../message/response.ts";
import type { SipNextHop } from "../transport/next-hop.ts";
import type { OutboundFlow } from "../transport/transport-layer.ts";
import { type ClientRequestContext, ClientRequestImpl } from "./client-request.ts";
import { asNameAddr, buildRequest, contactFor, uriHost } from "./request-builder.ts";
import { bodyText } from "./session-dialog.ts";
import type { DialogTimerSettings, SessionDialogCore } from "./session-dialog-types.ts";
import { UacDialogImpl } from "./uac-dialog.ts";
import type { InviteInit, InviteResult } from "./uac-types.ts";

/** What the INVITE procedure needs from the stack. */
export interface InviteContext extends ClientRequestContext {
  /** Where the new dialog is registered (so the peer's in-dialog requests reach it). */
  dialogs: DialogLayer;
  /** How the dialog sends. */
  core: SessionDialogCore;
}

/** How many times a 422 is answered with a retry (RFC 4028 §7.2). */
const max422Retries = 2;

/** Resolves the session-timer settings of `init` (RFC 4028 §7.1 defaults: 1800 s, Min-SE 90 s). */
function timerSettings(init: InviteInit): DialogTimerSettings | undefined {
  if (init.sessionTimer === false) return undefined;
  const options = init.sessionTimer ?? {};
  const minSeS = Math.max(minimumMinSeS, options.minSeS ?? minimumMinSeS);
  const expiresS = Math.max(minSeS, options.expiresS ?? defaultSessionExpiresS);
  return { expiresS, minSeS, ...(options.refresher === undefined ? {} : { refresher: options.refresher }) };
}

/** The fixed parts of one INVITE attempt series (same Call-ID and From tag across 422 retries). */
interface InviteState {
  fromTag: string;
  callId: string | undefined;
  cseq: number;
  from: string;
  contact: string;
}

/**
 * Sends an initial INVITE (RFC 3261 §13.2.1) and waits for its final response; on 2xx builds the UAC
 * dialog (RFC 3261 §12.1.2: Call-ID, our From tag, the 2xx's To tag, Contact as remote target,
 * Record-Route reversed as route set), sends the ACK (§13.2.2.4) and starts the session timer the 2xx
 * negotiated (RFC 4028 §7.4). A 422 is retried with the peer's Min-SE (RFC 4028 §7.2).
 */
export async function sendInvite(
  context: InviteContext,
  target: SipNextHop,
  init: InviteInit,
): Promise<InviteResult> {
  const settings = timerSettings(init);
  const state: InviteState = { fromTag: randomHex(6), callId: init.callId, cseq: 1, from: "", contact: "" };
  for (let attempt = 0; ; attempt++) {
    let dialog: UacDialogImpl | undefined;
    const outgoing = new ClientRequestImpl(context, () => dialog?.resendAck(state.cseq));
    if (init.onProvisional) outgoing.on("provisional", init.onProvisional);
    const onAbort = (): void => outgoing.cancel();
    init.signal?.addEventListener("abort", onAbort, { once: true });
    if (init.signal?.aborted) outgoing.cancel();
    void outgoing.start(target, (flow) => buildInvite(init, flow, state, settings));
    const response = await outgoing.final;
    init.signal?.removeEventListener("abort", onAbort);
    const sent = outgoing.sent;
    const flow = outgoing.flow;
    if (response.status >= 200 && response.status < 300 && sent && flow) {
      dialog = establish(context, init, sent, response, flow, state, settings);
      if (!init.signal?.aborted) return { response, dialog };
      void dialog.bye().catch(() => undefined);
      return { response };
    }
    const minSe = parseMinSe(response.headers.get("min-se"));
    if (response.status !== 422 || !settings || minSe === undefined || attempt >= max422Retries) {
      return { response };
    }
    settings.minSeS = Math.max(settings.minSeS, minSe);
    settings.expiresS = Math.max(settings.expiresS, minSe);
    state.cseq++;
  }
}

/** Builds one INVITE attempt once the flow (our address) is known. */
function buildInvite(
  init: InviteInit,
  flow: OutboundFlow,
  state: InviteState,
  settings: DialogTimerSettings | undefined,
): SipRequest {
  const host = uriHost(flow.local.address);
  state.callId ??= `${randomHex(12)}@${host}`;
  state.from = `${asNameAddr(init.from ?? `sip:uac@${host}`)};tag=${state.fromTag}`;
  state.contact = contactFor(flow.local, init.uri, init.contactUser ?? "uac", init.contactParams ?? "");
  const timerHeaders: Record<string, string> = settings
    ? {
        Supported: "timer",
        "Session-Expires": formatSessionExpires(settings.expiresS, settings.refresher),
        "Min-SE": String(settings.minSeS),
      }
    : {};
  return buildRequest({
    method: "INVITE",
    uri: init.uri,
    from: state.from,
    to: asNameAddr(init.to ?? init.uri),
    callId: state.callId,
    cseq: state.cseq,
    contact: state.contact,
    headers: { ...timerHeaders, ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
    ...(init.contentType === undefined ? {} : { contentType: init.contentType }),
  });
}

/** The SDP of `init`: `sdp`, else the body when it is `application/sdp`. */
function initialSdp(init: InviteInit): string | undefined {
  if (init.sdp !== undefined) return init.sdp;
  const isSdp = init.contentType?.toLowerCase().startsWith("application/sdp") ?? false;
  return isSdp && init.body !== undefined ? bodyText(init.body) : undefined;
}

/** The session timer a 2xx to our INVITE sets up (RFC 4028 §7.4); no Session-Expires, no timer. */
function timerOf(
  response: SipResponse,
  settings: DialogTimerSettings | undefined,
): SessionTimerState | undefined {
  return settings ? negotiatedTimer(response.headers.get("session-expires"), "uac") : undefined;
}

/** Creates the UAC dialog of a 2xx and sends its ACK. */
function establish(
  context: InviteContext,
  init: InviteInit,
  invite: SipRequest,
  response: SipResponse,
  flow: OutboundFlow,
  state: InviteState,
  settings: DialogTimerSettings | undefined,
): UacDialogImpl {
  const contact = response.headers.get("contact");
  let remoteTarget = init.uri;
  try {
    if (contact !== undefined) remoteTarget = parseNameAddr(contact).uri;
  } catch {
    context.logger.debug("2xx with a bad Contact; using the Request-URI as remote target");
  }
  const routeSet = response.headers.values("record-route").reverse();
  const to = response.headers.get("to") ?? "";
  const dialog = context.dialogs.adopt(
    (dialogContext) =>
      new UacDialogImpl(
        {
          callId: invite.callId ?? "",
          localTag: state.fromTag,
          remoteTag: response.to?.tag ?? "",
          from: state.from,
          to,
          contact: state.contact,
          remoteTarget,
          routeSet,
          target: flow.target,
          localCSeq: state.cseq,
          remoteCSeq: undefined,
          initialState: "confirmed",
          localSdp: initialSdp(init),
          timer: settings,
          sessionTimer: timerOf(response, settings),
          refreshKeepsTimer: false,
          refreshWithUpdate: false,
          handler: init.onRequest,
        },
        dialogContext,
        context.core,
      ),
  );
  const ack = buildRequest({
    method: "ACK",
    uri: remoteTarget,
    from: state.from,
    to,
    callId: dialog.callId,
    cseq: state.cseq,
    routes: routeSet,
  });
  dialog.setAck(state.cseq, context.transactions.sendAck(ack, flow));
  return dialog;
}
