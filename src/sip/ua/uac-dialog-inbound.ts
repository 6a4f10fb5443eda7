import type { IncomingRequest } from "./request-types.ts";
import type { UacDialogImpl } from "./uac-dialog.ts";

/** Methods a UAC dialog answers by default; listed in `Allow` of its 405s and OPTIONS answers. */
const allowed = "INVITE, ACK, CANCEL, BYE, UPDATE, OPTIONS, INFO";

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
