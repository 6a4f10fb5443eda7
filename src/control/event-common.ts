import { systemClock } from "../lib/index.ts";
import type { CallRecord, ParticipantRecord, StreamRecord } from "../spool/index.ts";
import type { AppEvent, EventContext, EventName, ParticipantView, StreamView } from "./event-types.ts";

/** Formats µs since the Unix epoch as ISO-8601 UTC with milliseconds. */
export function isoFromUs(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}

/** Like {@link isoFromUs}, but null for 0 (a time that has not happened yet). */
export function isoOrNull(us: number): string | null {
  return us > 0 ? isoFromUs(us) : null;
}

/** Milliseconds between two µs wall-clock instants; 0 if the end is unknown or earlier. */
export function durationMs(startUs: number, endUs: number): number {
  return endUs > startUs && startUs > 0 ? Math.round((endUs - startUs) / 1000) : 0;
}

/**
 * The correlation ids of a call: every non-empty id from `call.correlation`, plus `sipCallId`
 * and `siprecSessionId` (which win over same-named keys).
 */
export function correlationOf(call: CallRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(call.correlation)) {
    if (value !== "") out[key] = value;
  }
  if (call.sipCallId !== "") out.sipCallId = call.sipCallId;
  if (call.siprecSessionId !== "") out.siprecSessionId = call.siprecSessionId;
  return out;
}

/** A participant record as an event-body view. */
export function participantView(p: ParticipantRecord): ParticipantView {
  return { participantId: p.participantId, aor: p.aor, name: p.name, role: p.role };
}

/** A stream record as an event-body view, with its sending participant resolved from the call. */
export function streamView(call: CallRecord, stream: StreamRecord): StreamView {
  const sender = call.participants.find((p) => p.participantId === stream.participantId);
  return {
    streamId: stream.streamId,
    label: stream.label,
    siprecStreamId: stream.siprecStreamId,
    mlineIndex: stream.mlineIndex,
    codec: stream.codec,
    rate: stream.rate,
    payloadType: stream.payloadType,
    participant: sender ? participantView(sender) : null,
    role: sender?.role ?? stream.role,
    startedAt: isoFromUs(stream.startedUs),
    endedAt: isoOrNull(stream.endedUs),
  };
}

/** Assembles an event stamped with the context's appliance id and the clock's wall time (`eventSeq` 0). */
export function makeEvent<B extends Record<string, unknown>>(
  event: EventName,
  ctx: EventContext,
  subject: { sessionId: string; correlation: Record<string, string> },
  body: B,
): AppEvent<B> {
  const clock = ctx.clock ?? systemClock;
  return {
    event,
    time: isoFromUs(clock.wallUs()),
    applianceId: ctx.applianceId,
    sessionId: subject.sessionId,
    correlation: subject.correlation,
    eventSeq: 0,
    body,
  };
}

/** The event subject of a call: its id and correlation ids. */
export function callSubject(call: CallRecord): { sessionId: string; correlation: Record<string, string> } {
  return { sessionId: call.callId, correlation: correlationOf(call) };
}

/** The event subject of an appliance-level event: no session, no correlation ids. */
export function applianceSubject(): { sessionId: string; correlation: Record<string, string> } {
  return { sessionId: "", correlation: {} };
}

/** Every event name, checked complete against {@link EventName} by the compiler. */
const knownEventNames: Record<EventName, true> = {
  SESSIONSTARTED: true,
  SESSIONUPDATED: true,
  STREAMSTARTED: true,
  STREAMSTOPPED: true,
  SESSIONCOMPLETED: true,
  SINKCONNECTED: true,
  SINKDISCONNECTED: true,
  SINKCAUGHTUP: true,
  RECORDINGPAUSED: true,
  RECORDINGRESUMED: true,
  SPOOLHIGHWATER: true,
  SPOOLRECOVERED: true,
  MEDIATIMEOUT: true,
  DRAINED: true,
  SIPRECFORWARDSTARTED: true,
  SIPRECFORWARDFAILED: true,
  SIPRECFORWARDSTOPPED: true,
  ALARM: true,
};

/** Whether a stored name is one of the appliance's events (DESIGN.md §6). */
export function isEventName(name: string): name is EventName {
  return Object.hasOwn(knownEventNames, name);
}
