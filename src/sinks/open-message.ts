import {
  DEFAULT_MAX_MESSAGE_BYTES,
  isoFromMicros,
  type OpenMessage,
  type StreamDesc,
} from "../easp/index.ts";
import type { CallRecord } from "../spool/index.ts";

/** What {@link buildOpenMessage} needs. */
export interface OpenMessageInput {
  sessionId: string;
  /** Whether items of this session were sent before. */
  resume: boolean;
  /** Last acknowledged seq + 1. */
  nextSeq: number;
  /** Segment number of the session (0 for a unit's first session). */
  segment: number;
  /** Session id of the previous segment, or null. */
  continuationOf: string | null;
  /** The call as stored (participants, correlation, metadata). */
  call: CallRecord;
  mode: "interleaved" | "per-participant";
  streams: StreamDesc[];
  /** Call epoch T0, µs since the Unix epoch (0 if unknown: then the recording start is used). */
  epochUs: number;
  applianceId: string;
  version: string;
}

/** Builds the `open` message of a session (EASP.md §4) from the spool's call record. */
export function buildOpenMessage(input: OpenMessageInput): OpenMessage {
  const { call } = input;
  return {
    type: "open",
    v: 1,
    sessionId: input.sessionId,
    resume: input.resume,
    nextSeq: input.nextSeq,
    callId: call.callId,
    segment: input.segment,
    continuationOf: input.continuationOf,
    callEpoch: isoFromMicros(input.epochUs || call.startedUs),
    mode: input.mode,
    recording: {
      siprecSessionId: call.siprecSessionId,
      sipCallId: call.sipCallId,
      src: call.source,
      startTime: isoFromMicros(call.startedUs),
      ...(call.metadataXml ? { metadataXml: call.metadataXml } : {}),
    },
    participants: call.participants.map((p) => ({
      participantId: p.participantId,
      aor: p.aor,
      name: p.name,
      role: p.role,
    })),
    streams: input.streams,
    appliance: { id: input.applianceId, version: input.version, clock: { sync: "none" } },
    capabilities: { maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES, replay: true },
  };
}

/** Upgrade headers of a session (EASP.md §2): the configured ones (e.g. `Authorization`) plus the EASP ids. */
export function easpHeaders(
  configured: Record<string, string>,
  applianceId: string,
  sessionId: string,
  callId: string,
): Record<string, string> {
  return {
    ...configured,
    "EASP-Appliance-Id": applianceId,
    "EASP-Session-Id": sessionId,
    "EASP-Call-Id": callId,
  };
}
