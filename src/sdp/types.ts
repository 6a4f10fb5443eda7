/**
 * Shapes of the SDP model used by the SRS: what an SRC offered and what we answer.
 * @module
 */

/** RFC 3264 §5.1 / RFC 8866 §6.7 media direction; an m-line without one is `sendrecv`. */
export type MediaDirection = "sendrecv" | "sendonly" | "recvonly" | "inactive";

/** One payload format of an m-line: payload type, encoding name, clock rate (Hz), channels. */
export interface SdpFormat {
  /** RTP payload type, 0..127 (RFC 3551 static or dynamic 96..127). */
  payloadType: number;
  /** Encoding name as in `a=rtpmap` (e.g. `PCMU`, `PCMA`, `G722`, `G729`, `telephone-event`, `CN`); `""` if unknown. */
  encoding: string;
  /** RTP clock rate in Hz (8000 for G.722 per RFC 3551 §4.5.2); 0 if unknown. */
  rate: number;
  /** Audio channels; 1 unless the rtpmap says otherwise. */
  channels: number;
  /** Raw `a=fmtp` parameters for this payload type, e.g. `0-16` or `annexb=no`. */
  fmtp?: string;
}

/** One m-line of an offer (RFC 8866 §5.14), with what the SRS needs to receive it. */
export interface OfferedMedia {
  /** Zero-based m-line index; the answer must keep this order (RFC 3264 §6). */
  index: number;
  /** Media type: `audio`, `video`, `application`, … */
  type: string;
  /** Transport port; 0 means the SRC disabled this m-line. */
  port: number;
  /** Transport protocol, e.g. `RTP/AVP`, `RTP/SAVP`. */
  proto: string;
  /** Connection address: the media-level `c=`, else the session-level one, else `""`. */
  address: string;
  /** Media-level direction, else session-level, else `sendrecv`. */
  direction: MediaDirection;
  /** RFC 4574 `a=label`, referenced by `<stream><label>` in RFC 7865 metadata. */
  label?: string;
  /** Payload formats in offer (preference) order. */
  formats: SdpFormat[];
  /** `a=ptime` in ms. */
  ptime?: number;
  /** True when `a=rtcp-mux` (RFC 5761) is offered. */
  rtcpMux: boolean;
  /** RFC 3605 `a=rtcp` port, when given. */
  rtcpPort?: number;
  /** Raw values of every `a=crypto` line (RFC 4568), in order. */
  crypto: string[];
}

/** What `parseSdp` extracts from a session description. */
export interface SessionDescriptionInfo {
  /** The `o=` line (RFC 8866 §5.2); `sessionId` is kept as a string (it may exceed 2^53). */
  origin: { username: string; sessionId: string; sessionVersion: number; address: string };
  /** Session-level `c=` address, when present. */
  address?: string;
  /** Every m-line, in order. */
  media: OfferedMedia[];
}

/** One m-line of an answer; `port: 0` rejects the offered m-line (RFC 3264 §6). */
export interface AnswerMedia {
  /** Media type, copied from the offer. */
  type: string;
  /** Our receive port; 0 = rejected. */
  port: number;
  /** Transport protocol, copied from the offer. */
  proto: string;
  /** Accepted formats, most preferred first; each gets an `a=rtpmap`. */
  formats: SdpFormat[];
  /** Our direction (e.g. `recvonly` for a `sendonly` offer). */
  direction: MediaDirection;
  /** `a=label` to write, when given. */
  label?: string;
  /** `a=ptime` in ms, when given. */
  ptime?: number;
  /** Write `a=rtcp-mux` when true. */
  rtcpMux?: boolean;
  /** `a=crypto` values to write (RFC 4568 §9.1: `TAG SUITE inline:KEY…`), for `RTP/SAVP` answers. */
  crypto?: string[];
}

/** Input of `buildSdp`. */
export interface BuildSdpOptions {
  /** The `o=` line; bump `sessionVersion` on every change of a dialog's SDP (RFC 3264 §8). */
  origin: { username: string; sessionId: string; sessionVersion: number; address: string };
  /** `s=` value. @default "-" */
  sessionName?: string;
  /** Session-level `c=` address (IPv4 or IPv6). */
  address: string;
  /** One entry per offered m-line, same order. */
  media: AnswerMedia[];
}
