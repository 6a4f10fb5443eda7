import type { SessionTimerState } from "../dialog/dialog-types.ts";
import { parseSessionExpires, remoteRefreshTerms } from "../dialog/session-timer.ts";
import type { IncomingRequestImpl } from "./incoming-request.ts";
import type { IncomingRequest } from "./request-types.ts";
import type { UacDialogImpl } from "./uac-dialog.ts";

/** Methods a UAC dialog answers by default; listed in `Allow` of its 405s and OPTIONS answers. */
const allowed = "INVITE, ACK, CANCEL, BYE, UPDATE, OPTIONS, INFO";

/**
 * Prepares the answer to a request the peer sent inside a UAC dialog, before any handler sees it:
 * - a re-INVITE while ours is pending gets 491 (glare, RFC 3261 §14.2);
 * - a re-INVITE/UPDATE is a target refresh (RFC 3261 §12.2.2) and a session refresh (RFC 4028 §9): a
 *   Session-Expires below our Min-SE gets 422; otherwise every 2xx to it is given our Session-Expires
 *   (and `Require: timer` when the peer refreshes), remembers the SDP it carries as `localSdp`, and
 *   restarts our session timer (`onRefreshed`).
 * @returns `false` when the request was answered here (no handler must run).
 */
export function answerRemoteRequest(
  dialog: UacDialogImpl,
  incoming: IncomingRequestImpl,
  onRefreshed: (by: "remote", state: SessionTimerState | undefined) => void,
): boolean {
  const request = incoming.message;
  const method = request.method;
  if (method !== "INVITE" && method !== "UPDATE") return true;
  if (method === "INVITE" && dialog.invitePending) {
    incoming.reply(491);
    return false;
  }
  dialog.refreshTarget(request);
  const settings = dialog.timerSettings;
  const terms = settings
    ? remoteRefreshTerms(
        parseSessionExpires(request.headers.get("session-expires")),
        request.headerAll("supported").some((tag) => tag.toLowerCase() === "timer"),
        dialog.sessionTimer,
        settings.minSeS,
      )
    : undefined;
  if (terms?.rejectMinSeS !== undefined) {
    incoming.reply(422, undefined, { headers: { "Min-SE": String(terms.rejectMinSeS) } });
    return false;
  }
  incoming.setReplyHook((status, options) => {
    if (status < 200 || status >= 300) return options;
    if (options.body !== undefined && options.contentType?.toLowerCase().startsWith("application/sdp")) {
      dialog.localSdp =
        typeof options.body === "string" ? options.body : new TextDecoder().decode(options.body);
    }
    onRefreshed("remote", terms?.state ?? dialog.sessionTimer);
    if (terms?.sessionExpires === undefined) return options;
    const headers: Record<string, string | string[]> = { ...options.headers };
    headers["Session-Expires"] = terms.sessionExpires;
    if (terms.requireTimer) headers.Require = "timer";
    return { ...options, headers };
  });
  return true;
}

/**
 * The answers of a UAC dialog without handler ({@link UacDialogImpl.replyDefault}): a re-INVITE gets 200
 * with `localSdp` unchanged (RFC 3264 §8: an unchanged session keeps its o= version), which is the right
 * answer to a session refresh; an UPDATE gets 200, with `localSdp` only when it carried an offer (RFC
 * 3311 §5.2); with an offer but no `localSdp`, 488. BYE gets 200 (the dialog ends with `bye`); OPTIONS
 * and INFO 200; anything else 405 with Allow.
 */
export function replyDefault(dialog: UacDialogImpl, request: IncomingRequest): void {
  const method = request.message.method;
  const sdp = dialog.localSdp;
  const hasOffer = request.message.body.length > 0;
  switch (method) {
    case "INVITE":
      if (sdp === undefined) request.reply(488);
      else request.reply(200, undefined, { body: sdp, contentType: "application/sdp" });
      return;
    case "UPDATE":
      if (!hasOffer) request.reply(200);
      else if (sdp === undefined) request.reply(488);
      else request.reply(200, undefined, { body: sdp, contentType: "application/sdp" });
      return;
    case "OPTIONS":
      request.reply(200, undefined, { headers: { Allow: allowed } });
      return;
    case "BYE":
    case "INFO":
      request.reply(200);
      return;
    default:
      request.reply(405, undefined, { headers: { Allow: allowed } });
  }
}
