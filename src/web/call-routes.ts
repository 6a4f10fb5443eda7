import { errorCode, errorMessage, type Logger } from "../lib/index.ts";
import type { CallState } from "../spool/index.ts";
import type { CallExporter, CallListFilter } from "./call-api-types.ts";
import { download, json, text } from "./responses.ts";

/** Calls listed by `GET /api/calls` without `limit`. */
export const defaultCallLimit = 100;
/** Largest `limit` accepted by `GET /api/calls`. */
export const maxCallLimit = 1000;

const callStates = new Set<string>(["live", "completed", "recovered"]);
// Call ids are UUIDv7 (or other tokens without "." or "/"), so ".pcap", ".wav" and "/streams" never clash.
const callPath = /^\/api\/calls\/([A-Za-z0-9_-]{1,128})(\.wav|[./]pcap)?$/;
const wavPath = /^\/api\/calls\/([A-Za-z0-9_-]{1,128})\/streams\/(\d{1,15})\.wav$/;

/** Whether a path belongs to the calls API (`/api/calls` and below). */
export function isCallPath(path: string): boolean {
  return path === "/api/calls" || path.startsWith("/api/calls/");
}

function parseFilter(params: URLSearchParams): CallListFilter | string {
  const state = params.get("state");
  if (state !== null && state !== "" && !callStates.has(state)) {
    return `state must be live, completed or recovered, not ${JSON.stringify(state)}`;
  }
  const limitText = params.get("limit");
  const limit = limitText === null || limitText === "" ? defaultCallLimit : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxCallLimit) {
    return `limit must be an integer from 1 to ${maxCallLimit}`;
  }
  return state ? { state: state as CallState, limit } : { limit };
}

function route(url: URL, calls: CallExporter): Response {
  const path = url.pathname;
  if (path === "/api/calls") {
    const filter = parseFilter(url.searchParams);
    return typeof filter === "string" ? text(400, `${filter}\n`) : json({ calls: calls.list(filter) });
  }
  const wav = wavPath.exec(path);
  if (wav) {
    const [, callId = "", streamId = ""] = wav;
    const bytes = calls.wav(callId, Number(streamId));
    return bytes
      ? download(bytes, "audio/wav", `${callId}-${streamId}.wav`)
      : text(404, "no such call or stream\n");
  }
  const call = callPath.exec(path);
  if (!call) return text(404, "not found\n");
  const [, callId = "", suffix] = call;
  if (suffix === ".wav") {
    const bytes = calls.callWav(callId);
    return bytes ? download(bytes, "audio/wav", `${callId}.wav`) : text(404, "no such call\n");
  }
  if (suffix) {
    const bytes = calls.pcap(callId);
    return bytes
      ? download(bytes, "application/vnd.tcpdump.pcap", `${callId}.pcap`)
      : text(404, "no such call\n");
  }
  const detail = calls.get(callId);
  return detail ? json(detail) : text(404, "no such call\n");
}

/**
 * Answers the calls API (DESIGN.md §6), already authenticated:
 * - `GET /api/calls?state=&limit=` — `{ calls: CallSummary[] }`, most recent first (`limit` 1–1000,
 *   default 100; `state` live, completed or recovered); 400 for a bad query;
 * - `GET /api/calls/:callId` — the `CallDetail`;
 * - `GET /api/calls/:callId/streams/:streamId.wav` — the stream's audio as a WAV (gaps as silence);
 * - `GET /api/calls/:callId.wav` — the whole call as one WAV, one channel per stream (m-line order);
 * - `GET /api/calls/:callId.pcap` (or `/api/calls/:callId/pcap`, DESIGN.md §6's spelling) — the call's
 *   RTP as a libpcap capture.
 * Unknown calls and streams answer 404, as does everything when no exporter is configured; a
 * failing exporter answers 500 and is logged with its code.
 */
export function handleCallRequest(req: Request, calls: CallExporter | undefined, logger: Logger): Response {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return text(405, "method not allowed\n", { allow: "GET, HEAD" });
  }
  if (!calls) return text(404, "the calls API is not available\n");
  const url = new URL(req.url);
  try {
    return route(url, calls);
  } catch (err) {
    logger.error("calls API request failed", {
      path: url.pathname,
      code: errorCode(err),
      error: errorMessage(err),
    });
    return text(500, "internal error\n");
  }
}
