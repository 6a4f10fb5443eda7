import { type MediaDescription, parse } from "sdp-transform";
import { SdpParseError } from "./errors.ts";
import { staticPayloadFormat } from "./static-payload-types.ts";
import type { MediaDirection, OfferedMedia, SdpFormat, SessionDescriptionInfo } from "./types.ts";

const DIRECTIONS: ReadonlySet<string> = new Set(["sendrecv", "sendonly", "recvonly", "inactive"]);
const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Parses an SDP offer (RFC 8866) into the fields an SRS needs.
 *
 * Tolerant by design (DESIGN.md §2): CRLF or bare LF, attributes in any order, no direction attribute
 * (then `sendrecv`, RFC 3264 §5.1), static payload types without `a=rtpmap` (RFC 3551 §6), numeric or
 * token labels (RFC 4574), media-level or session-level `c=`.
 *
 * @param text - the `application/sdp` body, as received.
 * @returns origin, session `c=` address and every m-line in order.
 * @throws SdpParseError (`SDP_PARSE`) when the text does not start with `v=` or has no `m=` line.
 */
export function parseSdp(text: string): SessionDescriptionInfo {
  const trimmed = text.replace(/^\uFEFF/, "").trimStart();
  if (!trimmed.startsWith("v=")) throw new SdpParseError("not an SDP body: the first line is not v=");
  const session = parse(trimmed);
  if (session.media.length === 0) throw new SdpParseError("SDP has no m= line");
  const cryptoByMedia = collectCrypto(trimmed);
  const sessionAddress = session.connection?.ip;
  const sessionDirection = asDirection(session.direction) ?? "sendrecv";
  const origin = session.origin as Partial<SessionDescriptionInfo["origin"]> | undefined;
  const info: SessionDescriptionInfo = {
    origin: {
      username: String(origin?.username ?? ""),
      sessionId: String(origin?.sessionId ?? ""),
      sessionVersion: Number(origin?.sessionVersion ?? 0) || 0,
      address: String(origin?.address ?? ""),
    },
    media: session.media.map((media, index) =>
      toOfferedMedia(media, index, sessionAddress ?? "", sessionDirection, cryptoByMedia[index] ?? []),
    ),
  };
  if (sessionAddress !== undefined) info.address = sessionAddress;
  return info;
}

function toOfferedMedia(
  media: MediaDescription,
  index: number,
  sessionAddress: string,
  sessionDirection: MediaDirection,
  crypto: string[],
): OfferedMedia {
  const offered: OfferedMedia = {
    index,
    type: media.type,
    port: Number(media.port),
    proto: media.protocol,
    address: media.connection?.ip ?? sessionAddress,
    direction: asDirection(media.direction) ?? sessionDirection,
    formats: formatsOf(media),
    rtcpMux: media.rtcpMux !== undefined,
    crypto,
  };
  if (media.label !== undefined) offered.label = String(media.label);
  if (media.ptime !== undefined) offered.ptime = Number(media.ptime);
  if (media.rtcp?.port !== undefined) offered.rtcpPort = Number(media.rtcp.port);
  return offered;
}

/** Formats in m-line order; non-numeric tokens (e.g. `t38` of an `image` m-line) are skipped. */
function formatsOf(media: MediaDescription): SdpFormat[] {
  const tokens = String(media.payloads ?? "")
    .split(/\s+/)
    .filter((token) => /^\d+$/.test(token));
  return tokens.map((token) => {
    const payloadType = Number(token);
    const rtpmap = media.rtp.find((entry) => Number(entry.payload) === payloadType);
    const known = staticPayloadFormat(payloadType);
    const format: SdpFormat = rtpmap
      ? {
          payloadType,
          encoding: String(rtpmap.codec),
          rate: Number(rtpmap.rate ?? 0),
          channels: Number(rtpmap.encoding ?? 1) || 1,
        }
      : { payloadType, ...(known ?? { encoding: "", rate: 0, channels: 1 }) };
    const fmtp = media.fmtp.find((entry) => Number(entry.payload) === payloadType);
    if (fmtp) format.fmtp = String(fmtp.config);
    return format;
  });
}

function asDirection(value: string | undefined): MediaDirection | undefined {
  return value !== undefined && DIRECTIONS.has(value) ? (value as MediaDirection) : undefined;
}

/** Raw `a=crypto` values per m-line index, read from the text so session parameters are kept whole. */
function collectCrypto(text: string): string[][] {
  const perMedia: string[][] = [];
  let current: string[] | undefined;
  for (const line of text.split(LINE_BREAK)) {
    if (line.startsWith("m=")) {
      current = [];
      perMedia.push(current);
    } else if (current && line.startsWith("a=crypto:")) {
      current.push(line.slice("a=crypto:".length).trim());
    }
  }
  return perMedia;
}
