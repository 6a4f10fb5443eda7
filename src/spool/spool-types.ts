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

/**
 * One sink chosen for a call (DESIGN.md §5 "Which sinks a call gets": routing rules, new-call webhook,
 * startStream / stopStream), as stored. The spool keeps `overrides` verbatim and knows nothing of its
 * shape; the sinks write and read it.
 */
export interface CallSinkRow {
  /** Owning call. */
  callId: string;
  /** Sink name (a configured sink, or one defined for this call only by its overrides). */
  sink: string;
  /** Per-call overrides of the sink (url, protocol, mode, format, headers), JSON text; `{}` when none. */
  overrides: string;
  /** Whether streaming to the sink is stopped now (stopStream); false while it is active. */
  stopped: boolean;
  /**
   * Where each stop cut the sink's sessions of the call: cursor unit (`12`, `call`, `call#1`, as in
   * {@link SinkCursor.unit}) → first frame idx (per-participant) or 20 ms slot (interleaved) not
   * delivered. Empty when the sink was never stopped on this call; kept when it is started again.
   */
  stopCuts: Record<string, number>;
}

/** A {@link CallSinkRow} without its call id, as {@link Spool.setCallSinks} takes it. */
export type CallSinkInput = Omit<CallSinkRow, "callId">;

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
  /**
   * AUDIO frames stored as GAP frames with reason DISCARDED since start (the spool was full, a
   * commit failed with SQLITE_FULL, or too many frames waited for a failing commit): audio lost,
   * declared on the timeline (DESIGN.md §4).
   */
  framesDiscarded: number;
}

/**
 * How full the spool is (DESIGN.md §4, `spool.max_bytes`, `spool.min_free_disk`), for the 503 decision
 * of INVITE and OPTIONS, SPOOLHIGHWATER and metrics.
 */
export interface SpoolLevel {
  /**
   * Bytes in use: the database's used pages ((page_count − freelist_count) × page_size, so it falls
   * after a purge even though the file does not shrink) plus an estimate of the frames waiting for
   * the next commit.
   */
  bytes: number;
  /** The cap (`spool.max_bytes`), bytes. */
  maxBytes: number;
  /** Free disk space of the spool's filesystem for this user (statfs `bavail × bsize`), bytes; checked about once a second. */
  freeDiskBytes: number;
  /** Free disk space to keep (`spool.min_free_disk`), bytes. */
  minFreeDisk: number;
  /**
   * Above the high-water mark: `bytes ≥ highWaterRatio × maxBytes` or `freeDiskBytes < minFreeDisk`.
   * New calls (INVITE) and OPTIONS must be refused with 503; live calls keep recording.
   */
  highWater: boolean;
  /**
   * Nothing more can be stored: `bytes` reached the cap (less a small reserve for gaps, calls and
   * events), free disk is below `minFreeDisk / 2`, or the last commit failed with SQLITE_FULL. While
   * full, audio frames are stored as DISCARDED gaps.
   */
  full: boolean;
}

/** Options of {@link Spool.purge}. */
export interface PurgeOptions {
  /** Retention (`spool.retain`): a call is kept at least this long after it ended, ms. */
  retainMs: number;
  /** Now, µs since the Unix epoch (compared with the calls' `endedUs`). */
  nowUs: number;
  /** Whether every sink has delivered the call (the sink dispatcher answers); undelivered calls are kept. */
  isDelivered: (callId: string) => boolean;
  /** Frames to delete in this call at most (whole batches); the next call goes on. @default unlimited */
  limit?: number;
  /** Time to spend in this call at most, ms (checked between batches of a few thousand frames). @default 20 */
  budgetMs?: number;
}

/** What one {@link Spool.purge} call did. */
export interface PurgeResult {
  /** Calls removed completely (frames, streams, cursors, chosen sinks and the call row). */
  callsPurged: number;
  /** Their call ids (what else is kept per call, such as its capture, can go too). */
  purgedCallIds: string[];
  /** Frames deleted (also of calls not finished yet). */
  framesDeleted: number;
  /** How much `level().bytes` fell, bytes (pages freed for reuse; the file keeps its size). */
  bytesFreed: number;
  /** Whether purgeable audio is left (the limit or the time budget stopped it): call again soon. */
  more: boolean;
}

/** Filter of {@link Spool.listCursors}; absent fields match every cursor. */
export interface CursorFilter {
  /** Only delivered (`true`) or only undelivered (`false`) units. */
  done?: boolean;
  /** Only cursors of this call. */
  callId?: string;
  /** Only cursors of this sink. */
  sink?: string;
}

/** Options of {@link Spool.listCalls}. */
export interface ListCallsOptions {
  /** At most this many calls. @default unlimited */
  limit?: number;
  /** Only calls in this state, or in any of these states. @default every state */
  state?: CallState | readonly CallState[];
  /** `newest` (start time descending, the default) or `oldest` first. @default "newest" */
  order?: "newest" | "oldest";
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
  /**
   * Calls by start time (most recent first unless `order: "oldest"`), optionally of some states only:
   * `{ state: ["completed", "recovered"], order: "oldest" }` lists every call that is not live.
   */
  listCalls(options?: ListCallsOptions): CallRecord[];
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
   * must not change or reuse either afterwards. When its audio cannot be stored (the spool is
   * {@link SpoolLevel.full}, or too many frames wait for a failing commit), the spool turns the frame
   * object itself into a GAP with reason DISCARDED (same idx, seq, pos, capture time, duration and
   * flags; empty payload) before returning, so what the caller forwards live matches what is stored;
   * it never throws for that. Frames still waiting when a commit fails with SQLITE_FULL are turned
   * the same way, later (a live reader that already sent one sent its audio).
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
  /** Stored cursors matching `filter`, ordered by call, sink and unit. */
  listCursors(filter?: CursorFilter): SinkCursor[];
  /**
   * Records the routing decision of a call: the call counts as routed from now on, and its chosen
   * sinks are exactly `rows`, in this order (empty = record only). Replaces what was stored; one
   * transaction.
   * @throws SpoolError `SPOOL_UNKNOWN_CALL` (the call is not stored), `SPOOL_WRITE`.
   */
  setCallSinks(callId: string, rows: readonly CallSinkInput[]): void;
  /**
   * Creates or replaces one chosen sink of a call (startStream, stopStream); a new sink goes after the
   * others. The call counts as routed from now on.
   * @throws SpoolError `SPOOL_UNKNOWN_CALL` (the call is not stored), `SPOOL_WRITE`.
   */
  upsertCallSink(row: CallSinkRow): void;
  /**
   * The chosen sinks of a call in the order they were chosen (empty: routed to no sink), or undefined
   * when the call was never routed (or is not stored).
   */
  listCallSinks(callId: string): CallSinkRow[] | undefined;
  /** Calls that were `live` when the spool was opened: the ones a crash interrupted (DESIGN.md §4 recovery). */
  listLiveCallsAtOpen(): CallRecord[];
  /**
   * Crash recovery (DESIGN.md §4): closes every call that was `live` when the spool was opened and
   * still is (state and reason `recovered`, `endedUs`), ends its open streams at their last committed
   * frame, and returns the closed calls (so the app publishes SESSIONCOMPLETED with reason
   * `recovered` and the sinks deliver them). Calls again return nothing.
   * @throws SpoolError `SPOOL_WRITE` if the calls cannot be closed (nothing is changed then).
   */
  recoverLiveCalls(endedUs: number): CallRecord[];
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
  /** Events in the outbox (not yet acknowledged), for metrics. */
  outboxDepth(): number;
  /** How full the spool is (cheap: called for every INVITE and OPTIONS). */
  level(): SpoolLevel;
  /**
   * Deletes the audio of calls that are not live, ended more than `retainMs` ago and are delivered
   * (`isDelivered`), oldest first, in small batches so one call returns within about `budgetMs`;
   * once all frames of a call are gone its streams, cursors, routing and row go too. Freed pages are reused
   * by new frames, so `level().bytes` falls (the file does not shrink).
   * @throws SpoolError `SPOOL_WRITE` if SQLite refuses a delete (what was deleted before stays deleted).
   */
  purge(options: PurgeOptions): PurgeResult;
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
