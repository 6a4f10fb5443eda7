import type { SinkUnitStatus } from "../sinks/index.ts";
import type { CallRecord } from "../spool/index.ts";
import { callSubject, makeEvent } from "./event-common.ts";
import type {
  AlarmBody,
  AlarmSeverity,
  AppEvent,
  EventContext,
  SinkAlarmDetails,
  SinkCaughtUpBody,
  SinkDisconnectedBody,
  SinkEventBody,
} from "./event-types.ts";

function unitBody(unit: SinkUnitStatus): SinkEventBody {
  return {
    sink: unit.sink,
    unit: unit.unit,
    sinkSessionId: unit.sessionId,
    segment: unit.segment,
    state: unit.state,
    sentSeq: unit.sentSeq,
    ackedSeq: unit.ackedSeq,
    unackedItems: Math.max(0, unit.sentSeq - unit.ackedSeq),
    reconnects: unit.reconnects,
    lastError: unit.lastError,
  };
}

/** The unit's unacknowledged audio in seconds, to the millisecond. */
function backlogSeconds(unit: SinkUnitStatus): number {
  return Math.max(0, Math.round(unit.backlogMs)) / 1000;
}

function unitSubject(
  unit: SinkUnitStatus,
  call: CallRecord | undefined,
): { sessionId: string; correlation: Record<string, string> } {
  return call ? callSubject(call) : { sessionId: unit.callId, correlation: {} };
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
  return makeEvent("SINKCONNECTED", ctx, unitSubject(unit, call), unitBody(unit));
}

/**
 * SINKDISCONNECTED: a sink unit lost its connection; audio keeps being spooled and is replayed
 * when it returns. `backlogSeconds` is the unit's `backlogMs` in seconds.
 * @param reason why (WebSocket close code and reason, or the error text).
 */
export function sinkDisconnected(
  unit: SinkUnitStatus,
  call: CallRecord | undefined,
  reason: string,
  ctx: EventContext,
): AppEvent<SinkDisconnectedBody> {
  return makeEvent("SINKDISCONNECTED", ctx, unitSubject(unit, call), {
    ...unitBody(unit),
    reason,
    backlogSeconds: backlogSeconds(unit),
  });
}

/**
 * SINKCAUGHTUP: a sink unit that was behind has delivered everything spooled for it and is live again.
 * @param outageMs how long the unit was without a connection, ms; null when unknown.
 */
export function sinkCaughtUp(
  unit: SinkUnitStatus,
  call: CallRecord | undefined,
  outageMs: number | null,
  ctx: EventContext,
): AppEvent<SinkCaughtUpBody> {
  return makeEvent("SINKCAUGHTUP", ctx, unitSubject(unit, call), { ...unitBody(unit), outageMs });
}

/** What a sink ALARM reports besides its unit (the dispatcher's `unitalarm` code and message). */
export interface SinkAlarmInput {
  /** Stable code from the sinks, e.g. `SINK_QUARANTINED`, `SINK_ACK_REGRESSION`, `SINK_UNAUTHORIZED`. */
  code: string;
  /** One human sentence. */
  message: string;
  /** @default "warning" */
  severity?: AlarmSeverity;
}

/**
 * ALARM about one sink unit (quarantined, receiver lost acknowledged audio, refused credentials): the
 * call's event, with the unit in `details` ({@link SinkAlarmDetails}).
 * @param call the unit's call, for its correlation ids (undefined if no longer known).
 */
export function sinkAlarm(
  input: SinkAlarmInput,
  unit: SinkUnitStatus,
  call: CallRecord | undefined,
  ctx: EventContext,
): AppEvent<AlarmBody> {
  const details: SinkAlarmDetails = {
    sink: unit.sink,
    unit: unit.unit,
    sinkSessionId: unit.sessionId,
    state: unit.state,
    reconnects: unit.reconnects,
    lastError: unit.lastError,
    backlogSeconds: backlogSeconds(unit),
  };
  return makeEvent("ALARM", ctx, unitSubject(unit, call), {
    code: input.code,
    severity: input.severity ?? "warning",
    message: input.message,
    details,
  });
}
