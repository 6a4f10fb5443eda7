/**
 * SDP for the SRS (RFC 8866 syntax, RFC 3264 offer/answer): parse an SRC's offer, build our answer.
 * @module
 */
export { SdpParseError } from "./errors.ts";
export { parseSdp } from "./parse.ts";
export { buildSdp } from "./serialize.ts";
export type {
  AnswerMedia,
  BuildSdpOptions,
  MediaDirection,
  OfferedMedia,
  SdpFormat,
  SessionDescriptionInfo,
} from "./types.ts";
