import { systemClock } from "../lib/index.ts";
import type { CallRecord } from "../spool/index.ts";
import { applianceSubject, callSubject, isoFromUs, makeEvent } from "./event-common.ts";
import type {
  AlarmBody,
  AlarmSeverity,
  AppEvent,
  DiscardedAlarmDetails,
  DrainedBody,
  EventContext,
  SpoolHighWaterBody,
  SpoolRecoveredBody,
} from "./event-types.ts";

/**
 * SPOOLHIGHWATER, published on both transitions of the spool's high-water mark (DESIGN.md §4):
 * with `highWater: true` new INVITEs and OPTIONS get 503; with `false` they are accepted again.
 * Appliance-level (`sessionId` `""`). Only the fields of {@link SpoolHighWaterBody} are copied, so
 * the spool's own level object can be passed as it is.
 */
export function spoolHighWater(level: SpoolHighWaterBody, ctx: EventContext): AppEvent<SpoolHighWaterBody> {
  return makeEvent("SPOOLHIGHWATER", ctx, applianceSubject(), {
    bytes: level.bytes,
    maxBytes: level.maxBytes,
    freeDiskBytes: level.freeDiskBytes,
    minFreeDisk: level.minFreeDisk,
    highWater: level.highWater,
    full: level.full,
  });
}

/**
 * SPOOLRECOVERED: the spool recovered after an unclean stop (crash, `kill -9`, power cut): the
 * calls that were live were closed as `recovered` and their committed audio is being delivered
 * (DESIGN.md §4). Appliance-level; published once per start that found such calls.
 */
export function spoolRecovered(body: SpoolRecoveredBody, ctx: EventContext): AppEvent<SpoolRecoveredBody> {
  return makeEvent("SPOOLRECOVERED", ctx, applianceSubject(), {
    recoveredCalls: body.recoveredCalls.map((c) => ({ ...c })),
    undeliveredCalls: body.undeliveredCalls,
  });
}

/** What an ALARM reports. */
export interface AlarmInput {
  /** Stable error code, e.g. `SPOOL_FULL`. */
  code: string;
  /** @default "warning" */
  severity?: AlarmSeverity;
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
    severity: input.severity ?? "warning",
    message: input.message,
    details: input.details ?? {},
  });
}

/**
 * The `SPOOL_DISCARDED` ALARM (critical): audio that could not be stored (spool at `max_bytes` or
 * the disk at `min_free_disk`) was recorded as DISCARDED gaps (DESIGN.md §4: never a silent loss).
 * Appliance-level; `details` is {@link DiscardedAlarmDetails}.
 * @param discarded frames discarded since the previous alarm, and the calls concerned.
 */
export function spoolDiscardedAlarm(
  discarded: DiscardedAlarmDetails,
  ctx: EventContext,
): AppEvent<AlarmBody> {
  const details: DiscardedAlarmDetails = { frames: discarded.frames, calls: [...discarded.calls] };
  const calls = details.calls.length === 1 ? "1 call" : `${details.calls.length} calls`;
  return alarm(
    {
      code: "SPOOL_DISCARDED",
      severity: "critical",
      message: `${details.frames} frames could not be stored (spool full) and became DISCARDED gaps${
        details.calls.length > 0 ? ` in ${calls}` : ""
      }`,
      details,
    },
    undefined,
    ctx,
  );
}

/** What a DRAINED event reports. */
export interface DrainedInput {
  /** Calls that were live when the drain started and have finished since. */
  callsFinished: number;
  /** When the drain completed, µs since the Unix epoch. @default the context clock's `wallUs()` */
  drainedAtUs?: number;
}

/**
 * DRAINED: a `drain` command completed: new INVITEs and OPTIONS get 503, every live call has ended
 * and its audio was delivered to its sinks; the appliance can be stopped without losing anything.
 * Appliance-level (`sessionId` `""`).
 */
export function drained(input: DrainedInput, ctx: EventContext): AppEvent<DrainedBody> {
  const drainedAtUs = input.drainedAtUs ?? (ctx.clock ?? systemClock).wallUs();
  return makeEvent("DRAINED", ctx, applianceSubject(), {
    drainedAt: isoFromUs(drainedAtUs),
    callsFinished: input.callsFinished,
  });
}
