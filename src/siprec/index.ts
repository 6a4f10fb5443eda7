/**
 * SIPREC codec (RFC 7866 recording-session bodies, RFC 7865 metadata): pure functions, no I/O.
 * @module
 */
export { bindStreams } from "./bind-streams.ts";
export { buildRecordingBody, type RecordingBody, splitRecordingBody } from "./body.ts";
export { extractCorrelation, type HeaderLookup, isSiprecInvite } from "./correlation.ts";
export { MetadataParseError, SiprecBodyError, type SiprecBodyErrorCode } from "./errors.ts";
export { mergeMetadata } from "./metadata-merge.ts";
export { parseMetadata, RECORDING_NAMESPACE } from "./metadata-parse.ts";
export { serializeMetadata } from "./metadata-serialize.ts";
export type {
  DataMode,
  MetadataParticipant,
  MetadataSession,
  MetadataStream,
  RecordingMetadata,
  SerializableMetadata,
  StreamBinding,
} from "./metadata-types.ts";
export {
  applyForwardOverrides,
  buildRecordingMetadata,
  type ForwardOverrides,
  type OutboundParticipant,
  type OutboundParticipantRole,
  type OutboundSessionIdentifiers,
  type OutboundStream,
  type OverriddenParties,
  type PartyOverride,
  REPLAY_NAMESPACE,
  type RecordingMetadataInput,
  type ReplaySpan,
} from "./outbound-metadata.ts";
export { type VendorQuirk, vendorQuirks } from "./vendor-quirks.ts";
