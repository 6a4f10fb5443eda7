import type { SdpFormat } from "./types.ts";

type StaticFormat = Omit<SdpFormat, "payloadType" | "fmtp">;

/**
 * Static RTP payload types of RFC 3551 §6 (Table 4 and 5), used when an SDP omits `a=rtpmap`
 * (allowed for static types; Metaswitch does it). G.722's RTP clock is 8000 Hz by RFC 3551 §4.5.2.
 */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, StaticFormat> = new Map<number, StaticFormat>([
  [0, { encoding: "PCMU", rate: 8000, channels: 1 }],
  [3, { encoding: "GSM", rate: 8000, channels: 1 }],
  [4, { encoding: "G723", rate: 8000, channels: 1 }],
  [5, { encoding: "DVI4", rate: 8000, channels: 1 }],
  [6, { encoding: "DVI4", rate: 16000, channels: 1 }],
  [7, { encoding: "LPC", rate: 8000, channels: 1 }],
  [8, { encoding: "PCMA", rate: 8000, channels: 1 }],
  [9, { encoding: "G722", rate: 8000, channels: 1 }],
  [10, { encoding: "L16", rate: 44100, channels: 2 }],
  [11, { encoding: "L16", rate: 44100, channels: 1 }],
  [12, { encoding: "QCELP", rate: 8000, channels: 1 }],
  [13, { encoding: "CN", rate: 8000, channels: 1 }],
  [14, { encoding: "MPA", rate: 90000, channels: 1 }],
  [15, { encoding: "G728", rate: 8000, channels: 1 }],
  [16, { encoding: "DVI4", rate: 11025, channels: 1 }],
  [17, { encoding: "DVI4", rate: 22050, channels: 1 }],
  [18, { encoding: "G729", rate: 8000, channels: 1 }],
  [25, { encoding: "CelB", rate: 90000, channels: 1 }],
  [26, { encoding: "JPEG", rate: 90000, channels: 1 }],
  [28, { encoding: "nv", rate: 90000, channels: 1 }],
  [31, { encoding: "H261", rate: 90000, channels: 1 }],
  [32, { encoding: "MPV", rate: 90000, channels: 1 }],
  [33, { encoding: "MP2T", rate: 90000, channels: 1 }],
  [34, { encoding: "H263", rate: 90000, channels: 1 }],
]);

/** Returns the RFC 3551 static format of a payload type, or `undefined` for dynamic/unassigned ones. */
export function staticPayloadFormat(payloadType: number): StaticFormat | undefined {
  return STATIC_PAYLOAD_TYPES.get(payloadType);
}
