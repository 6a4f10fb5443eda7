import { parseSdp } from "./parse.ts";
import type { MediaDirection, OfferedMedia } from "./types.ts";

/** Codecs a SIPREC forward session offers: G.711 with their RFC 3551 static payload types. */
export type RecordingOfferCodec = "PCMU" | "PCMA";

/** Direction of our m-lines: `sendonly` while recording, `inactive` in a pause re-INVITE (RFC 7866 §7.1.1, §12.1). */
export type RecordingOfferDirection = "sendonly" | "inactive";

/** One forwarded stream: one `m=audio` line of the offer. */
export interface RecordingOfferStream {
  /** Our RTP port (RTCP is `port + 1` unless `rtcpMux`); 0 disables the m-line (RFC 3264 §8.2). */
  port: number;
  /** RFC 4574 label, the `<label>` of the stream in our metadata; an RFC 8866 token. */
  label: string;
  /** Codecs in preference order (payload types 0 and 8); at least one. */
  codecs: readonly RecordingOfferCodec[];
  /**
   * Values of the `a=crypto` lines (RFC 4568 §9.1, without `a=crypto:`), e.g.
   * `1 AES_CM_128_HMAC_SHA1_80 inline:…`. When given, the m-line is `RTP/SAVP`, else `RTP/AVP`.
   */
  crypto?: readonly string[];
  /** Offer `a=rtcp-mux` (RFC 5761). @default false */
  rtcpMux?: boolean;
  /** This m-line's direction, instead of the offer's. */
  direction?: RecordingOfferDirection;
}

/** Input of {@link buildRecordingOffer}. */
export interface RecordingOfferInput {
  /**
   * The `o=` line: keep `sessionId` for the dialog and increase `sessionVersion` with every offer
   * that changes (RFC 3264 §8). `username` defaults to `-`.
   */
  origin: { username?: string; sessionId: string; sessionVersion: number; address: string };
  /** `s=` value. @default "-" */
  sessionName?: string;
  /** Session-level `c=` address we send from (IPv4 or IPv6). */
  address: string;
  /** One entry per forwarded stream, in m-line order. */
  streams: readonly RecordingOfferStream[];
  /** Direction of every m-line. @default "sendonly" */
  direction?: RecordingOfferDirection;
  /** `a=ptime`, ms. @default 20 */
  ptime?: number;
}

/** What the remote SRS answered for one m-line of our offer (RFC 3264 §6, RFC 7866 §7.1.2). */
export interface AnsweredStream {
  /** Zero-based m-line index (the answer keeps the offer's order). */
  index: number;
  /** Our label of the m-line (from the offer). */
  label: string;
  /** True unless the SRS refused the m-line (port 0, no offered codec, missing, no SRTP where offered). */
  accepted: boolean;
  /** Why the m-line is not accepted; absent when accepted. */
  refusedReason?: string;
  /** Where to send RTP: the media-level `c=`, else the session-level one. */
  address: string;
  /** Remote RTP port; 0 = refused. */
  port: number;
  /** Remote RTCP port: `a=rtcp`, else `port` with rtcp-mux, else `port + 1`; 0 when refused. */
  rtcpPort: number;
  /** The SRS accepted `a=rtcp-mux`. */
  rtcpMux: boolean;
  /** The answer's direction; `sendrecv` when it has none (RFC 3264 §5.1). */
  direction: MediaDirection;
  /**
   * True when we may send RTP: accepted, offered `sendonly`, answered `recvonly` or without a direction
   * (`sendrecv`, tolerated), and not put on hold with `c=0.0.0.0` (RFC 3264 §8.4).
   */
  sendAllowed: boolean;
  /** Payload type to send with: the answer's number for the first offered codec it lists. */
  payloadType?: number;
  /** Codec of `payloadType`. */
  codec?: RecordingOfferCodec;
  /** Values of the answer's `a=crypto` lines (RFC 4568), in order. */
  crypto: string[];
}

const STATIC_PT: Readonly<Record<RecordingOfferCodec, number>> = { PCMU: 0, PCMA: 8 };
const CODEC_RATE = 8000;
const DEFAULT_PTIME_MS = 20;
/** RFC 8866 §9 `token`: what `a=label` values we write must be (RFC 4574 §4). */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
/** Characters that would break a line or a field of the SDP. */
const NOT_IN_FIELD = /[\r\n\0 ]/;
const NOT_IN_LINE = /[\r\n\0]/;

/**
 * Builds the SDP offer of a SIPREC forward session, in which we are the SRC (RFC 7866 §7.1.1,
 * RFC 8866 syntax, CRLF line endings): `o=` with the given session id and version, a session-level
 * `c=`, `t=0 0`, and per stream `m=audio PORT RTP/AVP PTs` (`RTP/SAVP` with `a=crypto` lines when
 * SRTP keys are given), an `a=rtpmap` per codec, `a=ptime`, `a=label` and `a=sendonly` (or
 * `a=inactive` for a pause re-INVITE, RFC 7866 §12.1).
 *
 * @returns the SDP text, ending with CRLF.
 * @throws RangeError for a port outside 0–65535, a label that is not a token, a stream without
 *   codecs, no streams, or a field holding CR, LF, NUL (or a space, where the field is one word).
 */
export function buildRecordingOffer(input: RecordingOfferInput): string {
  if (input.streams.length === 0) throw new RangeError("a recording offer needs at least one stream");
  const origin = input.origin;
  const ptime = input.ptime ?? DEFAULT_PTIME_MS;
  if (!Number.isInteger(origin.sessionVersion) || origin.sessionVersion < 0) {
    throw new RangeError(`bad SDP session version ${origin.sessionVersion}`);
  }
  if (!Number.isInteger(ptime) || ptime <= 0) throw new RangeError(`bad ptime ${ptime}`);
  const lines = [
    "v=0",
    `o=${field(origin.username ?? "-")} ${field(origin.sessionId)} ${origin.sessionVersion} IN ${ipVersion(origin.address)} ${field(origin.address)}`,
    `s=${line(input.sessionName ?? "-")}`,
    `c=IN ${ipVersion(input.address)} ${field(input.address)}`,
    "t=0 0",
    ...input.streams.flatMap((stream) => mediaLines(stream, input.direction ?? "sendonly", ptime)),
  ];
  return `${lines.join("\r\n")}\r\n`;
}

/**
 * Reads a remote SRS's answer to {@link buildRecordingOffer}'s offer, m-line by m-line (by index,
 * RFC 3264 §6): where to send, whether we may, and with which payload type. Tolerant of what SRSs
 * send: no direction attribute, attributes in any order, static payload types without `a=rtpmap`,
 * media-level or session-level `c=`, a dynamic payload type mapped to PCMU/PCMA.
 *
 * An m-line is refused (`accepted: false`, with `refusedReason`) when its port is 0, when the answer
 * lacks it or a `c=` address for it, when none of its formats is one we offered, or when an `RTP/SAVP` offer is answered
 * without `RTP/SAVP` or without `a=crypto`. Extra m-lines in the answer are ignored.
 *
 * @param answerSdp - the `application/sdp` body of the 2xx (or of the ACK, for an offerless INVITE).
 * @param offer - the input the offer was built from.
 * @returns one entry per offered m-line, in offer order.
 * @throws SdpParseError (`SDP_PARSE`) when the answer is not an SDP body or has no m-line.
 */
export function parseRecordingAnswer(answerSdp: string, offer: RecordingOfferInput): AnsweredStream[] {
  const answer = parseSdp(answerSdp);
  return offer.streams.map((stream, index) =>
    answeredStream(stream, index, answer.media[index], stream.direction ?? offer.direction ?? "sendonly"),
  );
}

function mediaLines(
  stream: RecordingOfferStream,
  direction: RecordingOfferDirection,
  ptime: number,
): string[] {
  if (!Number.isInteger(stream.port) || stream.port < 0 || stream.port > 65535) {
    throw new RangeError(`bad RTP port ${stream.port}`);
  }
  if (!TOKEN.test(stream.label))
    throw new RangeError(`label ${JSON.stringify(stream.label)} is not an SDP token`);
  if (stream.codecs.length === 0) throw new RangeError(`stream ${stream.label} offers no codec`);
  const crypto = stream.crypto ?? [];
  const payloadTypes = [...new Set(stream.codecs.map((codec) => STATIC_PT[codec]))];
  return [
    `m=audio ${stream.port} ${crypto.length > 0 ? "RTP/SAVP" : "RTP/AVP"} ${payloadTypes.join(" ")}`,
    ...[...new Set(stream.codecs)].map((codec) => `a=rtpmap:${STATIC_PT[codec]} ${codec}/${CODEC_RATE}`),
    `a=ptime:${ptime}`,
    ...crypto.map((value) => `a=crypto:${line(value)}`),
    ...(stream.rtcpMux ? ["a=rtcp-mux"] : []),
    `a=label:${stream.label}`,
    `a=${stream.direction ?? direction}`,
  ];
}

function answeredStream(
  stream: RecordingOfferStream,
  index: number,
  media: OfferedMedia | undefined,
  offered: RecordingOfferDirection,
): AnsweredStream {
  if (!media) return refused(stream, index, "the answer has no m-line for it", undefined);
  if (media.port === 0) return refused(stream, index, "the SRS refused it (port 0)", media);
  if (media.address === "") return refused(stream, index, "the answer has no c= address for it", media);
  const savp = (stream.crypto?.length ?? 0) > 0;
  if (savp && !media.proto.toUpperCase().includes("SAVP")) {
    return refused(stream, index, `RTP/SAVP was answered with ${media.proto}`, media);
  }
  if (savp && media.crypto.length === 0) return refused(stream, index, "no a=crypto in the answer", media);
  const chosen = chosenFormat(stream, media);
  if (!chosen) return refused(stream, index, "the answer lists none of the offered codecs", media);
  const onHold = media.address === "0.0.0.0" || media.address === "::";
  const receives = media.direction === "recvonly" || media.direction === "sendrecv";
  return {
    index,
    label: stream.label,
    accepted: true,
    address: media.address,
    port: media.port,
    rtcpPort: media.rtcpPort ?? (media.rtcpMux ? media.port : media.port + 1),
    rtcpMux: media.rtcpMux,
    direction: media.direction,
    sendAllowed: offered === "sendonly" && receives && !onHold,
    payloadType: chosen.payloadType,
    codec: chosen.codec,
    crypto: media.crypto,
  };
}

/** The first format of the answer that is a codec we offered: by static number, or by rtpmap name at 8000 Hz. */
function chosenFormat(
  stream: RecordingOfferStream,
  media: OfferedMedia,
): { payloadType: number; codec: RecordingOfferCodec } | undefined {
  for (const format of media.formats) {
    const name = format.encoding.toUpperCase();
    const codec = stream.codecs.find(
      (c) =>
        (name === "" && format.payloadType === STATIC_PT[c]) || (name === c && format.rate === CODEC_RATE),
    );
    if (codec) return { payloadType: format.payloadType, codec };
  }
  return undefined;
}

function refused(
  stream: RecordingOfferStream,
  index: number,
  reason: string,
  media: OfferedMedia | undefined,
): AnsweredStream {
  return {
    index,
    label: stream.label,
    accepted: false,
    refusedReason: reason,
    address: media?.address ?? "",
    port: 0,
    rtcpPort: 0,
    rtcpMux: false,
    direction: media?.direction ?? "inactive",
    sendAllowed: false,
    crypto: media?.crypto ?? [],
  };
}

function ipVersion(address: string): "IP4" | "IP6" {
  return address.includes(":") ? "IP6" : "IP4";
}

/** A one-word SDP field (no space, CR, LF or NUL). */
function field(value: string): string {
  if (value === "" || NOT_IN_FIELD.test(value))
    throw new RangeError(`bad SDP field ${JSON.stringify(value)}`);
  return value;
}

/** The rest of an SDP line (no CR, LF or NUL). */
function line(value: string): string {
  if (value === "" || NOT_IN_LINE.test(value)) throw new RangeError(`bad SDP value ${JSON.stringify(value)}`);
  return value;
}
