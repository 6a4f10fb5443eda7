import { type MediaDescription, write } from "sdp-transform";
import type { AnswerMedia, BuildSdpOptions } from "./types.ts";

/**
 * Builds an SDP answer (RFC 8866 syntax, RFC 3264 §6 rules) with CRLF line endings.
 *
 * `c=` is written at session level; every format gets an `a=rtpmap` (also static ones) and its
 * `a=fmtp` when given; the direction attribute is always written; `a=label` when given. A rejected
 * m-line (`port: 0`) without formats is written with format `0`, since an m-line needs one.
 *
 * @returns the SDP text, ending with CRLF.
 */
export function buildSdp(options: BuildSdpOptions): string {
  const ipVer = ipVersion(options.address);
  return write({
    version: 0,
    origin: {
      username: options.origin.username,
      sessionId: options.origin.sessionId,
      sessionVersion: options.origin.sessionVersion,
      netType: "IN",
      ipVer: ipVersion(options.origin.address),
      address: options.origin.address,
    },
    name: options.sessionName ?? "-",
    connection: { version: ipVer, ip: options.address },
    timing: { start: 0, stop: 0 },
    media: options.media.map(toMediaDescription),
  });
}

function toMediaDescription(media: AnswerMedia): MediaDescription {
  const description: MediaDescription = {
    type: media.type,
    port: media.port,
    protocol: media.proto,
    payloads: media.formats.length > 0 ? media.formats.map((f) => f.payloadType).join(" ") : "0",
    rtp: media.formats.map((format) => {
      const entry: MediaDescription["rtp"][number] = {
        payload: format.payloadType,
        codec: format.encoding,
        rate: format.rate,
      };
      if (format.channels > 1) entry.encoding = format.channels;
      return entry;
    }),
    fmtp: media.formats.flatMap((format) =>
      format.fmtp === undefined ? [] : [{ payload: format.payloadType, config: format.fmtp }],
    ),
    direction: media.direction,
  };
  if (media.label !== undefined) description.label = media.label;
  if (media.ptime !== undefined) description.ptime = media.ptime;
  if (media.rtcpMux) description.rtcpMux = "rtcp-mux";
  if (media.crypto && media.crypto.length > 0) description.crypto = media.crypto.map(cryptoLine);
  return description;
}

function ipVersion(address: string): number {
  return address.includes(":") ? 6 : 4;
}

/** Splits an `a=crypto` value (`TAG SUITE KEY-PARAMS [SESSION-PARAMS…]`, RFC 4568 §9.1) into sdp-transform's fields. */
function cryptoLine(value: string): NonNullable<MediaDescription["crypto"]>[number] {
  const [tag = "1", suite = "", config = "", ...session] = value.trim().split(/\s+/);
  const line: NonNullable<MediaDescription["crypto"]>[number] = { id: Number(tag), suite, config };
  if (session.length > 0) line.sessionConfig = session.join(" ");
  return line;
}
