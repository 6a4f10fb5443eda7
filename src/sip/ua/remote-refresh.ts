import type { SessionTimerState } from "../dialog/dialog-types.ts";
import { peerTimerRequest, remoteRefreshTerms } from "../dialog/session-timer.ts";
import type { IncomingRequestImpl } from "./incoming-request.ts";
import type { SessionDialogImpl } from "./session-dialog.ts";

/**
 * Prepares the answer to a re-INVITE or UPDATE the peer sent inside a dialog, before any handler sees
 * it (other methods pass untouched):
 * - a re-INVITE while ours is pending gets 491 (glare, RFC 3261 §14.2);
 * - it is a target refresh (RFC 3261 §12.2.2) and a session refresh (RFC 4028 §9): a Session-Expires
 *   below our Min-SE gets 422 from a peer that supports timers; otherwise every 2xx to it is given our
 *   Session-Expires (and `Require: timer` when the peer supports timers), remembers the SDP it carries
 *   as `localSdp`, and restarts our session timer (`onRefreshed`).
 * @returns `false` when the request was answered here (no handler must run).
 */
export function answerRemoteRefresh(
  dialog: SessionDialogImpl,
  incoming: IncomingRequestImpl,
  onRefreshed: (state: SessionTimerState | undefined) => void,
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
    ? remoteRefreshTerms(peerTimerRequest(request), dialog.sessionTimer, settings.minSeS)
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
    onRefreshed(terms?.state ?? dialog.sessionTimer);
    return withTimerHeaders(options, terms?.sessionExpires, terms?.requireTimer ?? false);
  });
  return true;
}

/** `options` with `Session-Expires` (when set) and `Require: timer` added to its headers (RFC 4028 §9). */
export function withTimerHeaders<T extends { headers?: Record<string, string | string[]> }>(
  options: T,
  sessionExpires: string | undefined,
  requireTimer: boolean,
): T {
  if (sessionExpires === undefined) return options;
  const headers: Record<string, string | string[]> = { ...options.headers };
  headers["Session-Expires"] = sessionExpires;
  if (requireTimer) {
    const require = headers.Require;
    headers.Require =
      require === undefined ? "timer" : [...(Array.isArray(require) ? require : [require]), "timer"];
  }
  return { ...options, headers };
}
