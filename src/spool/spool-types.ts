/**
 * Records and the {@link Spool} interface: the durable store-and-forward core (DESIGN.md §4).
 * This file holds types only, so features, tests and the status page can depend on it freely.
 */

import type { FrameKind } from "../lib/index.ts";

/** Audio codecs the appliance records (RTP payload names, RFC 3551). */
export type AudioCodec = "PCMU" | "PCMA";

/** Role of a participant in a contact-centre call; `unknown` when no rule matched. */
export type ParticipantRole = "agent" | "customer" | "unknown";

/** State of a recorded call in the spool. */
export type CallState = "live" | "completed" | "recovered";

/** One participant of a recorded communication session (RFC 7865 §6.5). */
export interface ParticipantRecord {
  /** `participant_id` from the metadata (or synthesized `p<index>` when metadata is missing). */
  participantId: string;
  /** Address of record, as sent (e.g. `sip:1001@pbx.example`, or bare digits). */
  aor: string;
  /** Display name, or empty. */
  name: string;
  /** Role from the configured rule. */
  role: ParticipantRole;
}

/** A recording session (one SIPREC dialog) as stored in the spool. */
export interface CallRecord {
  /** Our call id: a UUIDv7 minted on INVITE (EASP `callId`). */
  callId: string;
  /** SIP Call-ID of the SIPREC dialog. */
  sipCallId: string;
  /** RFC 7865 `session_id` of the recorded CS (or of the RS), if the metadata had one. */
  siprecSessionId: string;
  /** Correlation ids taken from headers/metadata: `ucid`, `sessionId`, `ciscoGuid`, `xBroadWorksCorrelationInfo`, … */
  correlation: Record<string, string>;
  /** SRC (SBC) address and port the INVITE came from, `host:port`. */
  source: string;
  /** Wall clock when the INVITE was accepted, µs since the Unix epoch. */
  startedUs: number;
  /** Call epoch `T0`: wall clock of the first media, µs since the Unix epoch; 0 until media arrives. */
  epochUs: number;
  /** Wall clock when the call ended, µs; 0 while live. */
  endedUs: number;
  /** Live, completed (BYE) or recovered (closed after a crash). */
  state: CallState;
  /** Why it ended: `bye`, `recovered`, `shutdown`, `media-timeout`, … Empty while live. */
  reason: string;
  /** Latest rs-metadata XML as received (verbatim), or empty. */
  metadataXml: string;
  /** Participants from the metadata. */
  participants: ParticipantRecord[];
}

/** One audio stream (one offered m-line / one SSRC timeline) of a call. */
export interface StreamRecord {
  /** Spool-assigned id, unique across the spool (SQLite AUTOINCREMENT, never reused). */
  streamId: number;
  /** Owning call. */
  callId: string;
  /** `a=label` of the m-line (RFC 4574), or the m-line index as text when absent. */
  label: string;
  /** RFC 7865 `stream_id` bound to this label, or empty. */
  siprecStreamId: string;
  /** Participant that sends on this stream (from `participantstreamassoc` / `<send>`), or empty. */
  participantId: string;
  /** Role of that participant. */
  role: ParticipantRole;
  /** Zero-based index of the m-line in the offer. */
  mlineIndex: number;
  /** Codec recorded. */
  codec: AudioCodec;
  /** Sample rate, Hz (8000 for G.711). */
  rate: number;
  /** RTP payload type negotiated. */
  payloadType: number;
  /** Wall clock when the stream started, µs. */
  startedUs: number;
  /** Wall clock when the stream ended, µs; 0 while live. */
  endedUs: number;
}

/** A frame to append: one RTP packet's audio, or a gap (loss, pause, no media). */
export interface FrameInput {
  /** 1 AUDIO or 2 GAP. */
  kind: FrameKind;
  /** Bitwise OR of {@link FrameFlags}. */
  flags: number;
  /** GAP reason ({@link GapReason}) for gaps; 0 for audio. */
  gapReason: number;
  /** Extended RTP sequence number (RFC 3550 §A.1) of the packet; for a gap, the first missing one. */
  rtpSeq: number;
  /** Position of the first sample, in samples since the call epoch (EASP `pos`). */
  pos: number;
  /** Capture time of the first sample, µs since the Unix epoch. */
  captureUs: number;
  /** Samples covered (per channel), e.g. 160 for 20 ms at 8000 Hz. */
  durationSamples: number;
  /** Codec bytes (G.711: one byte per sample); empty for gaps. The spool keeps a reference, never copies. */
  payload: Uint8Array;
}

/** A stored frame: the input plus its place in the stream. */
export interface FrameRecord extends FrameInput {
  /** Owning stream. */
  streamId: number;
  /** Position in the stream: 1, 2, 3… contiguous, never reused. */
  idx: number;
}

/** A cumulative acknowledgement cursor of one sink unit (EASP session) over the spool. */
export interface SinkCursor {
  /** Owning call. */
  callId: string;
  /** Sink name from the config. */
  sink: string;
  /** Output unit: `call` for interleaved, or the stream id as text for per-participant. */
  unit: string;
  /** EASP `sessionId` of this unit. */
  sessionId: string;
  /** Highest EASP `seq` acknowledged by the receiver (0 = none). */
  ackedSeq: number;
  /** Whether the unit has been fully delivered (`closed` received). */
  done: boolean;
}

/** Spool size and counters, for status and metrics. */
export interface SpoolStats {
  /** Database size on disk (main file + WAL), bytes. */
  bytes: number;
  /** Frames appended since start. */
  framesAppended: number;
  /** Frames committed to disk since start. */
  framesCommitted: number;
  /** Frames waiting for the next group commit. */
  framesPending: number;
  /** Group commits since start. */
  commits: number;
  /** Group commits that failed (disk full, I/O error, lock timeout); their frames stayed pending. */
  commitErrors: number;
}

/** Frame counts of one stream, committed and pending together (for the page, `spool ls` and checks). */
export interface StreamFrameTotals {
  /** The stream. */
  streamId: number;
  /** Frames stored, AUDIO and GAP. */
  frames: number;
  /** AUDIO frames. */
  audioFrames: number;
  /** GAP frames. */
  gapFrames: number;
  /** Payload bytes stored (codec bytes; gaps carry none). */
  bytes: number;
}

/** An event to keep in the outbox until the MQTT broker acknowledges it (DESIGN.md §6, §8). */
export interface OutboxEventInput {
  /** Event name, e.g. `SESSIONSTARTED` (DESIGN.md §6). */
  name: string;
  /** Call the event belongs to, or empty for appliance-wide events (ALARM, SPOOLHIGHWATER). */
  callId: string;
  /** When it happened, µs since the Unix epoch. */
  time: number;
  /** The event JSON as it will be published (text, stored verbatim). */
  body: string;
}

/** An event stored in the outbox. */
export interface OutboxEvent extends OutboxEventInput {
  /** Per-appliance sequence number: strictly increasing, never reused (also across restarts). */
  eventSeq: number;
}

/**
 * The durable store (SQLite, WAL). Appends are buffered in memory and group-committed every
 * `commitIntervalMs`; reads see committed and pending frames alike (live sinks never wait for the
 * commit). Frames are addressed by `(streamId, idx)`.
 */
export interface Spool {
  /**
   * Stores a new call (state `live`).
   * @throws SpoolError `SPOOL_WRITE` if it cannot be stored (also when the `callId` exists).
   */
  createCall(call: CallRecord): void;
  /**
   * Updates fields of a call (metadata, participants, epoch, correlation); absent fields stay.
   * @throws SpoolError `SPOOL_UNKNOWN_CALL`, `SPOOL_WRITE`.
   */
  updateCall(callId: string, patch: Partial<Omit<CallRecord, "callId">>): void;
  /**
   * Marks a call ended (`completed` or `recovered`) with a reason. Commits pending frames first.
   * @throws SpoolError `SPOOL_UNKNOWN_CALL`, `SPOOL_WRITE` (the commit or the update failed).
   */
  endCall(callId: string, state: Exclude<CallState, "live">, reason: string, endedUs: number): void;
  /** A call by id, or undefined. */
  getCall(callId: string): CallRecord | undefined;
  /** Most recent calls first. */
  listCalls(options?: { limit?: number; state?: CallState }): CallRecord[];
  /**
   * Creates a stream and returns it with its new `streamId` (never reused); it accepts frames from now.
   * @throws SpoolError `SPOOL_UNKNOWN_CALL`, `SPOOL_WRITE`.
   */
  createStream(stream: Omit<StreamRecord, "streamId" | "endedUs">): StreamRecord;
  /**
   * Marks a stream ended after committing its pending frames; no frame may follow. Ending it again
   * changes nothing.
   * @throws SpoolError `SPOOL_UNKNOWN_STREAM`, `SPOOL_WRITE` (the stream then stays live).
   */
  endStream(streamId: number, endedUs: number): void;
  /** Streams of a call, in m-line order. */
  listStreams(callId: string): StreamRecord[];
  /**
   * Appends a frame to a stream (hot path, ~100k/s) and returns its `idx`. The frame is only queued
   * for the next group commit: the spool keeps the object and its payload (no copy), so the caller
   * must not change or reuse either afterwards.
   * @throws SpoolError `SPOOL_UNKNOWN_STREAM` if the stream was not created, `SPOOL_STREAM_ENDED` after
   * `endStream`.
   */
  appendFrame(streamId: number, frame: FrameInput): number;
  /** Frames of a stream with `idx >= fromIdx`, ascending, at most `limit`, pending ones included. */
  readFrames(streamId: number, fromIdx: number, limit: number): FrameRecord[];
  /** Highest `idx` of a stream (pending included), 0 if none. */
  lastIdx(streamId: number): number;
  /** Highest `idx` of a stream that is committed to disk, 0 if none. */
  committedIdx(streamId: number): number;
  /** Number of frames stored for a stream (committed and pending). */
  countFrames(streamId: number): number;
  /** The cursor of a sink unit, or undefined. */
  getCursor(callId: string, sink: string, unit: string): SinkCursor | undefined;
  /** Creates or replaces a sink unit's cursor. */
  saveCursor(cursor: SinkCursor): void;
  /** Calls that were `live` when the spool was opened: the ones a crash interrupted (DESIGN.md §4 recovery). */
  listLiveCallsAtOpen(): CallRecord[];
  /** Frame counts per stream of a call, in m-line order (pending frames included). */
  frameTotals(callId: string): StreamFrameTotals[];
  /**
   * Stores an event in the outbox (committed at once) and returns its `eventSeq`.
   * @throws SpoolError `SPOOL_WRITE` if it cannot be stored.
   */
  appendEvent(event: OutboxEventInput): number;
  /** Outbox events not yet acknowledged, oldest first, at most `limit`. */
  pendingEvents(limit: number): OutboxEvent[];
  /** Removes an event from the outbox once the broker acknowledged it (MQTT PUBACK); unknown seqs are ignored. */
  ackEvent(eventSeq: number): void;
  /**
   * Commits pending frames now (also run by the group-commit timer, which never throws).
   * @throws SpoolError `SPOOL_WRITE` if the commit fails; the frames stay pending and are retried.
   */
  flush(): void;
  /** Size and counters. */
  stats(): SpoolStats;
  /** Flushes and closes the database. Idempotent. */
  close(): void;
}
