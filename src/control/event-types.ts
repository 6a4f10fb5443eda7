/**
 * The appliance's event model (DESIGN.md §6): one JSON shape for MQTT, logs and the status page.
 * This file holds types only.
 */
import type { Clock } from "../lib/index.ts";
import type { AudioCodec, CallState, ParticipantRole, SpoolLevel } from "../spool/index.ts";

/** Names of the events the appliance publishes (DESIGN.md §6), one MQTT topic each (`events/<EVENT>`). */
export type EventName =
  | "SESSIONSTARTED"
  | "SESSIONUPDATED"
  | "STREAMSTARTED"
  | "STREAMSTOPPED"
  | "SESSIONCOMPLETED"
  | "SINKCONNECTED"
  | "SINKDISCONNECTED"
  | "SINKCAUGHTUP"
  | "RECORDINGPAUSED"
  | "RECORDINGRESUMED"
  | "SPOOLHIGHWATER"
  | "SPOOLRECOVERED"
  | "MEDIATIMEOUT"
  | "DRAINED"
  | "SIPRECFORWARDSTARTED"
  | "SIPRECFORWARDFAILED"
  | "SIPRECFORWARDSTOPPED"
  | "ALARM";

/**
 * One event, as published on `events/<EVENT>` (QoS 1) and kept in the spool's outbox.
 * `B` is the typed body of the event; consumers see plain JSON.
 */
export interface AppEvent<B extends Record<string, unknown> = Record<string, unknown>> {
  /** Which event. */
  event: EventName;
  /** When it happened: ISO-8601 UTC with milliseconds, e.g. `2025-01-31T12:00:00.123Z`. */
  time: string;
  /** The appliance that emits it (config `appliance_id`). */
  applianceId: string;
  /** Our call id (UUIDv7), or `""` for appliance-level events (spool, alarms). */
  sessionId: string;
  /** Correlation ids of the call: `sipCallId`, `siprecSessionId`, `ucid`, `ciscoGuid`, …; `{}` if none. */
  correlation: Record<string, string>;
  /** Per-appliance monotonic sequence assigned by the spool's outbox; 0 when not persisted. */
  eventSeq: number;
  /** Event-specific data, complete enough that a consumer needs no second lookup. */
  body: B;
}

/** What every event builder needs besides its subject. */
export interface EventContext {
  /** The appliance id stamped on the event. */
  applianceId: string;
  /** Source of the event time (`wallUs`). @default systemClock */
  clock?: Clock;
}

/** A participant as carried in event bodies (RFC 7865 §6.5 participant + our role). */
export type ParticipantView = {
  /** `participant_id` from the metadata. */
  participantId: string;
  /** Address of record as sent. */
  aor: string;
  /** Display name, or empty. */
  name: string;
  /** `agent`, `customer` or `unknown`. */
  role: ParticipantRole;
};

/** A stream as carried in event bodies: the m-line, its codec and who sends on it. */
export type StreamView = {
  /** Spool stream id. */
  streamId: number;
  /** `a=label` of the m-line (RFC 4574), or the m-line index as text. */
  label: string;
  /** RFC 7865 `stream_id`, or empty. */
  siprecStreamId: string;
  /** Zero-based m-line index in the offer. */
  mlineIndex: number;
  /** Codec recorded. */
  codec: AudioCodec;
  /** Sample rate, Hz. */
  rate: number;
  /** Negotiated RTP payload type. */
  payloadType: number;
  /** The sending participant, or null when the metadata does not associate one. */
  participant: ParticipantView | null;
  /** Role of the sending participant (`unknown` without one). */
  role: ParticipantRole;
  /** ISO-8601 UTC start. */
  startedAt: string;
  /** ISO-8601 UTC end, or null while live. */
  endedAt: string | null;
};

/** Body of SESSIONSTARTED: who is recorded and from where. */
export type SessionStartedBody = {
  callId: string;
  sipCallId: string;
  siprecSessionId: string;
  /** SRC address `host:port`. */
  source: string;
  startedAt: string;
  participants: ParticipantView[];
  /** Streams known at start (may be empty; each also gets STREAMSTARTED). */
  streams: StreamView[];
  /** Names of the sinks the call is routed to; empty = recorded only. */
  sinks: string[];
};

/** Body of SESSIONUPDATED: the call's state after a metadata update, re-INVITE or UPDATE. */
export type SessionUpdatedBody = {
  /** What triggered the update: `metadata`, `reinvite`, `update`, or `routing` (a startStream/stopStream changed the sinks). */
  reason: string;
  participants: ParticipantView[];
  streams: StreamView[];
  /** Names of the sinks the call is routed to now; empty = recorded only. */
  sinks: string[];
};

/** Body of STREAMSTARTED. */
export type StreamStartedBody = { stream: StreamView };

/** Counters of a stream when it stops. */
export interface StreamStopStats {
  /** Valid RTP packets received. */
  packetsReceived: number;
  /** RTP packets lost (RFC 3550 §6.4.1 cumulative lost). */
  packetsLost: number;
  /** Frames stored in the spool for this stream, when known. */
  framesSpooled?: number;
}

/** Body of STREAMSTOPPED: the stream, why it stopped and its counters. */
export type StreamStoppedBody = {
  stream: StreamView;
  /** `bye`, `reinvite`, `rtp-timeout`, `segment-cut`, `error`, `recovered`, … */
  reason: string;
  packetsReceived: number;
  packetsLost: number;
  /** `packetsLost / (packetsReceived + packetsLost)`, 0 when nothing was expected. */
  lossRatio: number;
  /** Frames spooled, or null when the caller did not count them. */
  framesSpooled: number | null;
  /** Stream duration, ms (0 while the end is unknown). */
  durationMs: number;
};

/** Totals of a call when it completes. */
export interface SessionTotals {
  /** Streams the call had. */
  streams: number;
  /** RTP packets received over all streams. */
  packetsReceived: number;
  /** RTP packets lost over all streams. */
  packetsLost: number;
  /** Frames spooled over all streams. */
  framesSpooled: number;
}

/** Body of SESSIONCOMPLETED. */
export type SessionCompletedBody = {
  /** `completed` (BYE or shutdown) or `recovered` (closed after a crash). */
  state: CallState;
  /** `bye`, `recovered`, `shutdown`, `media-timeout`, … */
  reason: string;
  source: string;
  startedAt: string;
  endedAt: string;
  /** Call duration, ms. */
  durationMs: number;
  participants: ParticipantView[];
  totals: SessionTotals;
};

/** Who paused or resumed a recording: the SRC over SIP, or a pauseRecording/resumeRecording command. */
export type RecordingPauseReason = "sip" | "command";

/** Body of RECORDINGPAUSED / RECORDINGRESUMED. */
export type RecordingPauseBody = {
  /** `sip` (the SRC's SDP or INFO) or `command` (pauseRecording / resumeRecording). */
  reason: RecordingPauseReason;
  /** What exactly paused or resumed: `sdp`, `sdp-inactive`, `info`, `command`, … */
  trigger: string;
  /** Streams concerned (all of the call when empty). */
  streamIds: number[];
  /** With `reason: command`: the command's `reason` text (e.g. `PCI`); absent otherwise. */
  note?: string;
};

/** Body of DRAINED: a `drain` finished, every live call ended and was delivered to its sinks. */
export type DrainedBody = {
  /** ISO-8601 UTC time the drain completed. */
  drainedAt: string;
  /** Calls that were live when the drain started and have finished since. */
  callsFinished: number;
};

/** Body of SINKCONNECTED, and the common part of every sink event: one sink unit's delivery state. */
export type SinkEventBody = {
  /** Sink name from the config. */
  sink: string;
  /** `call` (interleaved) or a stream id (per-participant); `<unit>#<segment>` for a later segment. */
  unit: string;
  /** EASP session id of the unit. */
  sinkSessionId: string;
  /** EASP segment of the session (0, then 1, 2… for continuation sessions). */
  segment: number;
  /** `connecting`, `open`, `replaying`, `backoff`, `circuit-open`, `closing`, `done`, `failed`. */
  state: string;
  sentSeq: number;
  ackedSeq: number;
  /** Items sent but not yet acknowledged. */
  unackedItems: number;
  reconnects: number;
  lastError: string;
};

/** Body of SINKDISCONNECTED: the unit, why it lost its connection and how much audio it still owes. */
export type SinkDisconnectedBody = SinkEventBody & {
  /** Why (WebSocket close code and reason, or the error text). */
  reason: string;
  /** Audio captured for the unit but not yet acknowledged by the receiver, seconds (ms precision). */
  backlogSeconds: number;
};

/** Body of SINKCAUGHTUP: the unit has delivered its backlog and is live again. */
export type SinkCaughtUpBody = SinkEventBody & {
  /** How long the unit was without a connection, ms; null when unknown (e.g. across a restart). */
  outageMs: number | null;
};

/**
 * Body of SPOOLHIGHWATER, published on both transitions of the high-water mark (DESIGN.md §4):
 * `highWater: true` when new INVITEs and OPTIONS start getting 503, `false` when it falls back.
 */
export type SpoolHighWaterBody = { [K in keyof SpoolLevel]: SpoolLevel[K] };

/** A call that was live at an unclean stop and was closed as `recovered` (SPOOLRECOVERED). */
export type RecoveredCallView = {
  callId: string;
  sipCallId: string;
  /** Frames committed for the call before the stop (they are all delivered). */
  frames: number;
  /** ISO-8601 UTC start of the call. */
  startedAt: string;
};

/**
 * Body of SPOOLRECOVERED: the spool recovered after an unclean stop (crash, `kill -9`, power cut),
 * DESIGN.md §4. Each recovered call also gets SESSIONCOMPLETED with `reason: recovered`.
 */
export type SpoolRecoveredBody = {
  /** Calls closed as `recovered`. */
  recoveredCalls: RecoveredCallView[];
  /** Calls whose audio some sink has not fully received yet (delivered from the spool now). */
  undeliveredCalls: number;
};

/** Body of MEDIATIMEOUT: a stream stopped receiving RTP. */
export type MediaTimeoutBody = {
  stream: StreamView;
  /** Configured RTP timeout, ms. */
  timeoutMs: number;
  /** ISO-8601 UTC arrival of the last packet, or null when none ever arrived. */
  lastPacketAt: string | null;
};

/** Severity of an ALARM. */
export type AlarmSeverity = "warning" | "critical";

/**
 * Body of ALARM: a condition an operator must look at. `details` depends on the code, e.g.
 * `SPOOL_DISCARDED` → {@link DiscardedAlarmDetails}; sink alarms (`SINK_*`) →
 * {@link SinkAlarmDetails}.
 */
export type AlarmBody = {
  /** Stable error code (e.g. `SPOOL_DISCARDED`, `SINK_CIRCUIT_OPEN`, `SIP_LISTEN_FAILED`). */
  code: string;
  severity: AlarmSeverity;
  /** One human sentence. */
  message: string;
  /** Structured details (JSON-serialisable). */
  details: Record<string, unknown>;
};

/** `details` of a sink ALARM: which sink unit and its delivery state. */
export type SinkAlarmDetails = {
  /** Sink name from the config. */
  sink: string;
  /** `call` (interleaved) or a stream id (per-participant). */
  unit: string;
  /** EASP session id of the unit. */
  sinkSessionId: string;
  /** Connection state of the unit. */
  state: string;
  reconnects: number;
  lastError: string;
  /** Audio not yet acknowledged by the receiver, seconds (ms precision). */
  backlogSeconds: number;
};

/** `details` of the `SPOOL_DISCARDED` ALARM: audio that could not be stored (spool or disk full). */
export type DiscardedAlarmDetails = {
  /** Frames recorded as DISCARDED gaps since the previous alarm. */
  frames: number;
  /** Calls that lost audio, by call id (empty when not known). */
  calls: string[];
};

/** A SIPREC forward session (we are the SRC towards a remote SRS, DESIGN.md §5), as events carry it. */
export type SiprecForwardBody = {
  /** The siprec sink (configured, or the name of an ad-hoc startSIPRecForward). */
  sink: string;
  /** The remote SRS's URI as configured or given. */
  uri: string;
  /** The target tried last, `transport:address:port` (RFC 3263), or empty before any. */
  target: string;
  /** SIP Call-ID of our recording session towards the SRS. */
  sipCallId: string;
  /** Set when the session replays audio recorded while the SRS was unreachable: the original call start and the span. */
  replay: { originalStart: string; spanStart: string; spanEnd: string } | null;
  /** The opaque object of startSIPRecForward, echoed; null when none. */
  reference: Record<string, unknown> | null;
};

/** Body of SIPRECFORWARDFAILED: the forward body plus the SIP final status (a local 408/503 for timeouts and transport errors) and why. */
export type SiprecForwardFailedBody = SiprecForwardBody & { status: number; reason: string };

/** Body of SIPRECFORWARDSTOPPED: why the forward session ended (`call-ended`, `replay-done`, `stopped`, `remote-bye`, `failed`, `shutdown`). */
export type SiprecForwardStoppedBody = SiprecForwardBody & { reason: string };
