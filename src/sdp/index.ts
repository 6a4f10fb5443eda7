/**
 * SDP for the SRS (RFC 8866 syntax, RFC 3264 offer/answer): parse an SRC's offer, build our answer;
 * and, as the SRC of a SIPREC forward session, build our offer and read the remote SRS's answer.
 * @module
 */
export { SdpParseError } from "./errors.ts";
export { parseSdp } from "./parse.ts";
export {
  type AnsweredStream,
  buildRecordingOffer,
  parseRecordingAnswer,
  type RecordingOfferCodec,
  type RecordingOfferDirection,
  type RecordingOfferInput,
  type RecordingOfferStream,
} from "./recording-offer.ts";
export { buildSdp } from "./serialize.ts";
export type {
  AnswerMedia,
  BuildSdpOptions,
  MediaDirection,
  OfferedMedia,
  SdpFormat,
  SessionDescriptionInfo,
} from "./types.ts";
