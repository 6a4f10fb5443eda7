import type { SinkUnitStatus } from "../sinks/index.ts";
import type { CallRecord } from "../spool/index.ts";
import { applianceSubject, callSubject, makeEvent } from "./event-common.ts";
import type {
  AlarmBody,
  AlarmSeverity,
  AppEvent,
  EventContext,
  EventName,
  SinkEventBody,
  SpoolLevel,
  SpoolLevelBody,
} from "./event-types.ts";

function sinkEvent(
  name: EventName,
  unit: SinkUnitStatus,
  call: CallRecord | undefined,
  reason: string,
  ctx: EventContext,
): AppEvent<SinkEventBody> {
  const subject = call ? callSubject(call) : { sessionId: unit.callId, correlation: {} };
  return makeEvent(name, ctx, subject, {
    sink: unit.sink,
    unit: unit.unit,
    sinkSessionId: unit.sessionId,
    state: unit.state,
    sentSeq: unit.sentSeq,
    ackedSeq: unit.ackedSeq,
    unackedItems: Math.max(0, unit.sentSeq - unit.ackedSeq),
    reconnects: unit.reconnects,
    lastError: unit.lastError,
    reason,
  });
}

/**
 * SINKCONNECTED: a sink unit (one EASP session / WebSocket, EASP.md) connected and was opened.
 * @param call the unit's call, for its correlation ids (undefined if no longer known).
 */
export function sinkConnected(
  unit: SinkUnitStatus,
  call: CallRecord | undefined,
  ctx: EventContext,
): AppEvent<SinkEventBody> {
  return sinkEvent("SINKCONNECTED", unit, call, "", ctx);
}

/**
 * SINKDISCONNECTED: a sink unit lost its connection; audio keeps being spooled and is replayed later.
 * @param reason why (close code / error text).
 */
export function sinkDisconnected(
  unit: SinkUnitStatus,
  call: CallRecord | undefined,
  reason: string,
  ctx: EventContext,
): AppEvent<SinkEventBody> {
  return sinkEvent("SINKDISCONNECTED", unit, call, reason, ctx);
}

/** SINKCAUGHTUP: a sink unit that was behind has delivered everything spooled for it. */
export function sinkCaughtUp(
  unit: SinkUnitStatus,
  call: CallRecord | undefined,
  ctx: EventContext,
): AppEvent<SinkEventBody> {
  return sinkEvent("SINKCAUGHTUP", unit, call, "", ctx);
}

/**
 * SPOOLHIGHWATER: the spool rose above its high-water mark; new INVITEs and OPTIONS now get 503
 * (DESIGN.md §4). Appliance-level (`sessionId` `""`).
 */
export function spoolHighWater(level: SpoolLevel, ctx: EventContext): AppEvent<SpoolLevelBody> {
  return makeEvent("SPOOLHIGHWATER", ctx, applianceSubject(), { ...level, accepting: false });
}

/** SPOOLRECOVERED: the spool fell back below its high-water mark; new calls are accepted again. */
export function spoolRecovered(level: SpoolLevel, ctx: EventContext): AppEvent<SpoolLevelBody> {
  return makeEvent("SPOOLRECOVERED", ctx, applianceSubject(), { ...level, accepting: true });
}

/** What an ALARM reports. */
export interface AlarmInput {
  /** Stable error code, e.g. `SPOOL_FULL`. */
  code: string;
  /** `warning` or `critical`. */
  severity: AlarmSeverity;
  /** One human sentence. */
  message: string;
  /** Structured details (JSON-serialisable). @default {} */
  details?: Record<string, unknown>;
}

/**
 * ALARM: a condition an operator must look at (disk full, DISCARDED audio, listener failure).
 * @param call the call concerned, or undefined for an appliance-level alarm.
 */
export function alarm(
  input: AlarmInput,
  call: CallRecord | undefined,
  ctx: EventContext,
): AppEvent<AlarmBody> {
  return makeEvent("ALARM", ctx, call ? callSubject(call) : applianceSubject(), {
    code: input.code,
    severity: input.severity,
    message: input.message,
    details: input.details ?? {},
  });
}
