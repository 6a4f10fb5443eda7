import type { AnswerMedia, MediaDirection, OfferedMedia, SdpFormat } from "../sdp/index.ts";
import type { AudioCodec } from "../spool/index.ts";

/** Codecs we record, in our order of preference (DESIGN.md §2). */
export const recordableCodecs: readonly AudioCodec[] = ["PCMU", "PCMA"];

/** What we decided for one offered m-line. */
export interface MediaDecision {
  /** The offered m-line. */
  offer: OfferedMedia;
  /** The chosen audio format, or undefined when the m-line is refused (port 0 in the answer). */
  audio: (SdpFormat & { encoding: AudioCodec }) | undefined;
  /** RFC 4733 telephone-event format at the audio clock rate, if offered. */
  telephoneEvent: SdpFormat | undefined;
  /** Direction we answer with. */
  direction: MediaDirection;
}

/**
 * Direction the SRS answers for an offered direction (RFC 7866 §7.1.1, RFC 3264 §6.1): a recorder
 * only receives. `sendonly`/`sendrecv` → `recvonly`; `inactive` (pause, or not started yet) →
 * `inactive`; a `recvonly` offer (the SRC wants to receive from us) → `inactive`. Always answered
 * afresh on every offer, so an SRC that moves from `inactive` to `sendonly` gets `recvonly`.
 */
export function answerDirection(offered: MediaDirection): MediaDirection {
  return offered === "sendonly" || offered === "sendrecv" ? "recvonly" : "inactive";
}

/**
 * Decides each offered m-line: audio m-lines with PCMU or PCMA (our preference order, whatever the
 * offer's order) are accepted; video, other codecs and port-0 m-lines are refused (RFC 3264 §6:
 * port 0, same order, one answer m-line per offer m-line).
 */
export function decideMedia(offered: OfferedMedia[]): MediaDecision[] {
  return offered.map((offer) => {
    const audio =
      offer.type === "audio" &&
      offer.port !== 0 &&
      /^RTP\/S?AVPF?$/i.test(offer.proto) &&
      offer.crypto.length === 0
        ? pickAudio(offer.formats)
        : undefined;
    const telephoneEvent = audio
      ? offer.formats.find((f) => f.encoding.toLowerCase() === "telephone-event" && f.rate === audio.rate)
      : undefined;
    return { offer, audio, telephoneEvent, direction: answerDirection(offer.direction) };
  });
}

function pickAudio(formats: SdpFormat[]): (SdpFormat & { encoding: AudioCodec }) | undefined {
  for (const codec of recordableCodecs) {
    const found = formats.find((f) => f.encoding.toUpperCase() === codec && f.rate === 8000);
    if (found) return { ...found, encoding: codec };
  }
  return undefined;
}

/**
 * Builds the answer m-lines for the decisions and the RTP ports we bound (RFC 3264 §6.1):
 * one per offered m-line, in order, with the offer's label echoed; refused m-lines get port 0 and
 * the offer's first format (a format list must not be empty).
 * @param ports RTP port per m-line index, for accepted m-lines.
 */
export function answerMedia(decisions: MediaDecision[], ports: Map<number, number>): AnswerMedia[] {
  return decisions.map((d) => {
    const port = ports.get(d.offer.index);
    if (!d.audio || port === undefined) {
      const first = d.offer.formats[0] ?? { payloadType: 0, encoding: "PCMU", rate: 8000, channels: 1 };
      return { type: d.offer.type, port: 0, proto: d.offer.proto, formats: [first], direction: "inactive" };
    }
    const formats = d.telephoneEvent ? [d.audio, d.telephoneEvent] : [d.audio];
    const answer: AnswerMedia = { type: "audio", port, proto: "RTP/AVP", formats, direction: d.direction };
    if (d.offer.label !== undefined) answer.label = d.offer.label;
    if (d.offer.ptime !== undefined) answer.ptime = d.offer.ptime;
    if (d.offer.rtcpMux) answer.rtcpMux = true;
    return answer;
  });
}
