import type { AnswerMedia } from "../sdp/index.ts";
import { buildSdp } from "../sdp/index.ts";
import type { RecordingSession } from "./recording-session.ts";

/**
 * Renders the SDP answer of a recording session (RFC 3264 §6, RFC 7866 §7.1): SDP only, never
 * multipart (RFC 7866 §9), one m-line per offered m-line. The origin's session id is stable for
 * the session and its version grows with each answer (RFC 3264 §8).
 */
export function buildAnswerSdp(session: RecordingSession, address: string, media: AnswerMedia[]): string {
  return buildSdp({
    origin: {
      username: "siprec-edge",
      sessionId: session.sdpSessionId,
      sessionVersion: session.nextSdpVersion(),
      address,
    },
    sessionName: "siprec-edge recording",
    address,
    media,
  });
}
