import { errorCode, errorMessage, type Logger } from "../lib/index.ts";
import { commonHeaders, text } from "./responses.ts";
import type { StatusServerOptions } from "./status-types.ts";

// Call ids are UUIDv7 or other plain tokens: nothing that can leave the capture folder or break a header.
const capturePath = /^\/api\/calls\/([A-Za-z0-9_-]{1,128})\/capture\.pcap$/;
const sipMessagesPath = "/api/sip/messages";

/** Whether a path is served by {@link handleCaptureRequest} (checked before the calls API). */
export function isCapturePath(path: string): boolean {
  return path === sipMessagesPath || capturePath.test(path);
}

/** The file as it is now: its size is read first, so a capture still growing is cut at a whole record. */
function pcapDownload(path: string, callId: string): Response {
  const file = Bun.file(path);
  const size = file.size;
  return new Response(file.slice(0, size), {
    headers: {
      "content-type": "application/vnd.tcpdump.pcap",
      "content-length": String(size),
      "content-disposition": `attachment; filename="siprec-edge-${callId}.pcap"`,
      ...commonHeaders,
    },
  });
}

function route(path: string, options: Pick<StatusServerOptions, "captures" | "sipMessages">): Response {
  if (path === sipMessagesPath) {
    return options.sipMessages ? text(200, options.sipMessages()) : text(404, "SIP messages are not kept\n");
  }
  const callId = capturePath.exec(path)?.[1] ?? "";
  if (!options.captures) return text(404, "per-call capture is off (capture.enabled)\n");
  const file = options.captures.path(callId);
  return file ? pcapDownload(file, callId) : text(404, "no capture for this call\n");
}

/**
 * Answers, already authenticated (issue 6 part 4):
 * - `GET /api/calls/:callId/capture.pcap` — the call's packet capture (SIP and the RTP/RTCP the
 *   appliance received, libpcap, LINKTYPE_RAW) as an attachment `siprec-edge-<callId>.pcap`; a live
 *   call's capture as flushed so far (a valid capture that keeps growing); 404 for an unknown call
 *   or when capture is off;
 * - `GET /api/sip/messages` — the recent SIP messages as text, oldest first; 404 when not kept.
 * Other methods answer 405; a failure answers 500 and is logged with its code.
 */
export function handleCaptureRequest(
  req: Request,
  options: Pick<StatusServerOptions, "captures" | "sipMessages">,
  logger: Logger,
): Response {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return text(405, "method not allowed\n", { allow: "GET, HEAD" });
  }
  try {
    return route(new URL(req.url).pathname, options);
  } catch (err) {
    logger.error("capture request failed", { code: errorCode(err), error: errorMessage(err) });
    return text(500, "internal error\n");
  }
}
