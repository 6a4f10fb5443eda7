import type { AppEvent, EventContext } from "../control/index.ts";
import { sessionCompleted, spoolRecovered } from "../control/index.ts";
import type { Logger } from "../lib/index.ts";
import type { Spool } from "../spool/index.ts";

/**
 * Crash recovery at start (DESIGN.md §4): calls that were live when the process died are closed
 * as `recovered` (their committed frames stay and the sinks deliver them), SESSIONCOMPLETED
 * (reason `recovered`) is published for each, then one SPOOLRECOVERED for the whole spool.
 * Does nothing after a clean stop.
 * @returns how many calls were recovered.
 */
export function recoverSpool(
  spool: Spool,
  nowUs: number,
  ctx: EventContext,
  emit: (event: AppEvent) => void,
  logger: Logger,
): number {
  const recovered = spool.recoverLiveCalls(nowUs);
  if (recovered.length === 0) return 0;
  const summaries = recovered.map((call) => {
    const totals = spool.frameTotals(call.callId);
    const frames = totals.reduce((sum, t) => sum + t.frames, 0);
    emit(
      sessionCompleted(
        call,
        { streams: totals.length, packetsReceived: 0, packetsLost: 0, framesSpooled: frames },
        ctx,
      ),
    );
    return {
      callId: call.callId,
      sipCallId: call.sipCallId,
      frames,
      startedAt: new Date(call.startedUs / 1000).toISOString(),
    };
  });
  logger.warn("calls that were live at an unclean stop closed as recovered", {
    code: "SPOOL_RECOVERED",
    calls: summaries.map((s) => s.callId),
  });
  const undelivered = new Set([
    ...recovered.map((c) => c.callId),
    ...spool.listCursors({ done: false }).map((c) => c.callId),
  ]);
  emit(spoolRecovered({ recoveredCalls: summaries, undeliveredCalls: undelivered.size }, ctx));
  return recovered.length;
}
