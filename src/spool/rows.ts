import type { FrameKind } from "../lib/index.ts";
import type {
  AudioCodec,
  CallRecord,
  CallState,
  FrameRecord,
  ParticipantRecord,
  ParticipantRole,
  SinkCursor,
  StreamRecord,
} from "./spool-types.ts";

/** A `calls` row as SQLite returns it. */
export interface CallRow {
  call_id: string;
  sip_call_id: string;
  siprec_session_id: string;
  correlation: string;
  source: string;
  started_us: number;
  epoch_us: number;
  ended_us: number;
  state: string;
  reason: string;
  metadata_xml: string;
  participants: string;
}

/** A `streams` row as SQLite returns it. */
export interface StreamRow {
  stream_id: number;
  call_id: string;
  label: string;
  siprec_stream_id: string;
  participant_id: string;
  role: string;
  mline_index: number;
  codec: string;
  rate: number;
  payload_type: number;
  started_us: number;
  ended_us: number;
}

/** A `frames` row (without `stream_id`) as SQLite returns it. */
export interface FrameRow {
  idx: number;
  kind: number;
  flags: number;
  gap_reason: number;
  rtp_seq: number;
  pos: number;
  capture_us: number;
  duration_samples: number;
  payload: Uint8Array;
}

/** A `sink_cursors` row as SQLite returns it. */
export interface CursorRow {
  call_id: string;
  sink: string;
  unit: string;
  session_id: string;
  acked_seq: number;
  done: number;
}

/** Column of each {@link CallRecord} field (besides `callId`), in table order. */
export const callColumns = {
  sipCallId: "sip_call_id",
  siprecSessionId: "siprec_session_id",
  correlation: "correlation",
  source: "source",
  startedUs: "started_us",
  epochUs: "epoch_us",
  endedUs: "ended_us",
  state: "state",
  reason: "reason",
  metadataXml: "metadata_xml",
  participants: "participants",
} as const satisfies Record<keyof Omit<CallRecord, "callId">, string>;

/** The SQLite value stored for one {@link CallRecord} field (JSON text for the two structured ones). */
export function callColumnValue<K extends keyof typeof callColumns>(
  field: K,
  value: CallRecord[K],
): string | number {
  if (field === "participants" || field === "correlation") return JSON.stringify(value);
  return value as string | number;
}

/** Converts a `calls` row to a {@link CallRecord}. */
export function callFromRow(row: CallRow): CallRecord {
  return {
    callId: row.call_id,
    sipCallId: row.sip_call_id,
    siprecSessionId: row.siprec_session_id,
    correlation: JSON.parse(row.correlation) as Record<string, string>,
    source: row.source,
    startedUs: row.started_us,
    epochUs: row.epoch_us,
    endedUs: row.ended_us,
    state: row.state as CallState,
    reason: row.reason,
    metadataXml: row.metadata_xml,
    participants: JSON.parse(row.participants) as ParticipantRecord[],
  };
}

/** Converts a `streams` row to a {@link StreamRecord}. */
export function streamFromRow(row: StreamRow): StreamRecord {
  return {
    streamId: row.stream_id,
    callId: row.call_id,
    label: row.label,
    siprecStreamId: row.siprec_stream_id,
    participantId: row.participant_id,
    role: row.role as ParticipantRole,
    mlineIndex: row.mline_index,
    codec: row.codec as AudioCodec,
    rate: row.rate,
    payloadType: row.payload_type,
    startedUs: row.started_us,
    endedUs: row.ended_us,
  };
}

/** Converts a `frames` row of stream `streamId` to a {@link FrameRecord}. */
export function frameFromRow(streamId: number, row: FrameRow): FrameRecord {
  return {
    streamId,
    idx: row.idx,
    kind: row.kind as FrameKind,
    flags: row.flags,
    gapReason: row.gap_reason,
    rtpSeq: row.rtp_seq,
    pos: row.pos,
    captureUs: row.capture_us,
    durationSamples: row.duration_samples,
    payload: row.payload,
  };
}

/** Converts a `sink_cursors` row to a {@link SinkCursor}. */
export function cursorFromRow(row: CursorRow): SinkCursor {
  return {
    callId: row.call_id,
    sink: row.sink,
    unit: row.unit,
    sessionId: row.session_id,
    ackedSeq: row.acked_seq,
    done: row.done !== 0,
  };
}
