import type { AnswerMedia, MediaDirection, OfferedMedia, SdpFormat } from "../sdp/index.ts";
import type { AudioCodec } from "../spool/index.ts";
import {
  formatCryptoAttribute,
  generateKeyMaterial,
  parseCryptoAttribute,
  type SrtpKeyMaterial,
} from "../srtp/index.ts";

/** SDES keys of an accepted SRTP m-line (RFC 4568): the SRC's, to decrypt what it sends, and ours, for the answer. */
export interface SrtpDecision {
  /** Tag of the offered `a=crypto` line we accepted (echoed in the answer, RFC 4568 §5.1.2). */
  tag: number;
  /** The SRC's key: what it encrypts with. */
  remote: SrtpKeyMaterial;
  /** Our key for the answer (we send no media, but SDES needs one per direction). */
  local: SrtpKeyMaterial;
}

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
  /** SDES keys when the m-line is `RTP/SAVP` with a supported `a=crypto` (RFC 4568). */
  srtp: SrtpDecision | undefined;
  /** Why an audio m-line was refused, when it was for a reason the SRC must hear (the 488's reason). */
  refusal?: "srtp-needs-tls" | "srtp-unsupported";
}

/** Whether the signalling of an offer allows SDES-SRTP: the keys travel in the SDP, so only over TLS (RFC 4568 §8.3). */
export interface OfferContext {
  secureSignalling: boolean;
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
 * port 0, same order, one answer m-line per offer m-line). An `RTP/SAVP` m-line with SDES keys is
 * accepted with the first `a=crypto` line of a supported suite (AES_CM_128_HMAC_SHA1_80/_32) when
 * the signalling is TLS, and refused otherwise: keys sent in clear SDP protect nothing.
 * @param previous the decisions of the session's current streams by m-line index: our answer key
 *   stays the same across re-offers (only the SRC's key may change).
 */
export function decideMedia(
  offered: OfferedMedia[],
  context: OfferContext = { secureSignalling: false },
  previous?: ReadonlyMap<number, MediaDecision>,
): MediaDecision[] {
  return offered.map((offer) => {
    const direction = answerDirection(offer.direction);
    const candidate =
      offer.type === "audio" && offer.port !== 0 && /^RTP\/S?AVPF?$/i.test(offer.proto)
        ? pickAudio(offer.formats)
        : undefined;
    let srtp: SrtpDecision | undefined;
    let refusal: MediaDecision["refusal"];
    if (candidate && offer.crypto.length > 0) {
      if (!context.secureSignalling) refusal = "srtp-needs-tls";
      else {
        srtp = pickCrypto(offer.crypto, previous?.get(offer.index)?.srtp?.local);
        if (!srtp) refusal = "srtp-unsupported";
      }
    }
    const audio = refusal ? undefined : candidate;
    const telephoneEvent = audio
      ? offer.formats.find((f) => f.encoding.toLowerCase() === "telephone-event" && f.rate === audio.rate)
      : undefined;
    return { offer, audio, telephoneEvent, direction, srtp, ...(refusal ? { refusal } : {}) };
  });
}

/** The first offered `a=crypto` of a suite we support, with our answer key (RFC 4568 §7.1.2). */
function pickCrypto(lines: string[], keep: SrtpKeyMaterial | undefined): SrtpDecision | undefined {
  for (const line of lines) {
    try {
      const offered = parseCryptoAttribute(line);
      const local = keep && keep.profile === offered.profile ? keep : generateKeyMaterial(offered.profile);
      return { tag: offered.tag, remote: offered.key, local };
    } catch {
      // an unsupported suite or parameter: try the next line
    }
  }
  return undefined;
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
    const answer: AnswerMedia = {
      type: "audio",
      port,
      proto: d.srtp ? d.offer.proto : "RTP/AVP",
      formats,
      direction: d.direction,
    };
    if (d.srtp) answer.crypto = [formatCryptoAttribute(d.srtp.tag, d.srtp.local)];
    if (d.offer.label !== undefined) answer.label = d.offer.label;
    if (d.offer.ptime !== undefined) answer.ptime = d.offer.ptime;
    if (d.offer.rtcpMux) answer.rtcpMux = true;
    return answer;
  });
}
