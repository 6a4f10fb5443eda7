import type { CallRecord, StreamRecord } from "../spool/index.ts";
import {
  callSubject,
  durationMs,
  isoFromUs,
  makeEvent,
  participantView,
  streamView,
} from "./event-common.ts";
import type {
  AppEvent,
  EventContext,
  MediaTimeoutBody,
  RecordingPauseBody,
  RecordingPauseReason,
  SessionCompletedBody,
  SessionStartedBody,
  SessionTotals,
  SessionUpdatedBody,
  StreamStartedBody,
  StreamStoppedBody,
  StreamStopStats,
} from "./event-types.ts";

/**
 * SESSIONSTARTED: a SIPREC recording session was accepted (RFC 7866 §6.1.1, INVITE answered 200).
 * @param streams streams already created for the call, in m-line order (may be empty).
 * @param sinks names of the sinks the call is routed to; empty = recorded only.
 */
export function sessionStarted(
  call: CallRecord,
  streams: readonly StreamRecord[],
  ctx: EventContext,
  sinks: readonly string[] = [],
): AppEvent<SessionStartedBody> {
  return makeEvent("SESSIONSTARTED", ctx, callSubject(call), {
    callId: call.callId,
    sipCallId: call.sipCallId,
    siprecSessionId: call.siprecSessionId,
    source: call.source,
    startedAt: isoFromUs(call.startedUs),
    participants: call.participants.map(participantView),
    streams: streams.map((s) => streamView(call, s)),
    sinks: [...sinks],
  });
}

/**
 * SESSIONUPDATED: participants or streams changed (metadata snapshot or partial update in a
 * re-INVITE/UPDATE, RFC 7866 §6.1.2 / RFC 7865 §6), or its sinks changed (startStream/stopStream).
 * @param reason what triggered it: `metadata`, `reinvite`, `update` or `routing`.
 * @param streams the call's current streams, in m-line order.
 * @param sinks names of the sinks the call is routed to now; empty = recorded only.
 */
export function sessionUpdated(
  call: CallRecord,
  reason: string,
  streams: readonly StreamRecord[],
  ctx: EventContext,
  sinks: readonly string[] = [],
): AppEvent<SessionUpdatedBody> {
  return makeEvent("SESSIONUPDATED", ctx, callSubject(call), {
    reason,
    participants: call.participants.map(participantView),
    streams: streams.map((s) => streamView(call, s)),
    sinks: [...sinks],
  });
}

/** STREAMSTARTED: an m-line of the call is being recorded (label, codec, sending participant). */
export function streamStarted(
  call: CallRecord,
  stream: StreamRecord,
  ctx: EventContext,
): AppEvent<StreamStartedBody> {
  return makeEvent("STREAMSTARTED", ctx, callSubject(call), { stream: streamView(call, stream) });
}

/**
 * STREAMSTOPPED: a stream ended, with its RTP counters.
 * @param reason `bye`, `reinvite`, `rtp-timeout`, `segment-cut`, `error`, `recovered`, …
 */
export function streamStopped(
  call: CallRecord,
  stream: StreamRecord,
  stats: StreamStopStats,
  reason: string,
  ctx: EventContext,
): AppEvent<StreamStoppedBody> {
  const expected = stats.packetsReceived + stats.packetsLost;
  return makeEvent("STREAMSTOPPED", ctx, callSubject(call), {
    stream: streamView(call, stream),
    reason,
    packetsReceived: stats.packetsReceived,
    packetsLost: stats.packetsLost,
    lossRatio: expected > 0 ? stats.packetsLost / expected : 0,
    framesSpooled: stats.framesSpooled ?? null,
    durationMs: durationMs(stream.startedUs, stream.endedUs),
  });
}

/** SESSIONCOMPLETED: the call ended (BYE, shutdown, media timeout, or closed as recovered after a crash). */
export function sessionCompleted(
  call: CallRecord,
  totals: SessionTotals,
  ctx: EventContext,
): AppEvent<SessionCompletedBody> {
  return makeEvent("SESSIONCOMPLETED", ctx, callSubject(call), {
    state: call.state,
    reason: call.reason,
    source: call.source,
    startedAt: isoFromUs(call.startedUs),
    endedAt: isoFromUs(call.endedUs),
    durationMs: durationMs(call.startedUs, call.endedUs),
    participants: call.participants.map(participantView),
    totals: { ...totals },
  });
}

/** What paused or resumed a recording (RECORDINGPAUSED / RECORDINGRESUMED). */
export interface RecordingPauseInput {
  /** `sip` (the SRC's SDP `a=inactive`/`c=0.0.0.0` or AudioCodes INFO) or `command` (pauseRecording / resumeRecording). */
  reason: RecordingPauseReason;
  /** What exactly, e.g. `sdp`, `sdp-inactive`, `info`. @default the `reason` */
  trigger?: string;
  /** Streams concerned; empty for the whole call. @default [] */
  streamIds?: readonly number[];
  /** The command's `reason` text (e.g. `PCI`), carried as `note`. */
  note?: string;
}

function pauseBody(input: RecordingPauseInput): RecordingPauseBody {
  const body: RecordingPauseBody = {
    reason: input.reason,
    trigger: input.trigger ?? input.reason,
    streamIds: [...(input.streamIds ?? [])],
  };
  if (input.note !== undefined) body.note = input.note;
  return body;
}

/**
 * RECORDINGPAUSED: recording of the call (or of some streams) paused, by the SRC over SIP
 * (`a=inactive`, `c=0.0.0.0`, AudioCodes INFO) or by a pauseRecording command (PCI pause).
 */
export function recordingPaused(
  call: CallRecord,
  input: RecordingPauseInput,
  ctx: EventContext,
): AppEvent<RecordingPauseBody> {
  return makeEvent("RECORDINGPAUSED", ctx, callSubject(call), pauseBody(input));
}

/** RECORDINGRESUMED: recording resumed after a pause; same body as RECORDINGPAUSED. */
export function recordingResumed(
  call: CallRecord,
  input: RecordingPauseInput,
  ctx: EventContext,
): AppEvent<RecordingPauseBody> {
  return makeEvent("RECORDINGRESUMED", ctx, callSubject(call), pauseBody(input));
}

/**
 * MEDIATIMEOUT: a stream received no RTP for `timeoutMs`.
 * @param lastPacketUs wall clock of the last packet, µs since the Unix epoch; 0 if none arrived.
 */
export function mediaTimeout(
  call: CallRecord,
  stream: StreamRecord,
  timeoutMs: number,
  lastPacketUs: number,
  ctx: EventContext,
): AppEvent<MediaTimeoutBody> {
  return makeEvent("MEDIATIMEOUT", ctx, callSubject(call), {
    stream: streamView(call, stream),
    timeoutMs,
    lastPacketAt: lastPacketUs > 0 ? isoFromUs(lastPacketUs) : null,
  });
}
