import type { AppEvent, EventContext, SessionTotals } from "../control/index.ts";
import {
  recordingPaused,
  recordingResumed,
  sessionCompleted,
  sessionStarted,
  sessionUpdated,
  sinkAlarm,
  sinkCaughtUp,
  sinkConnected,
  sinkDisconnected,
  siprecForwardFailed,
  siprecForwardStarted,
  siprecForwardStopped,
  streamStarted,
  streamStopped,
} from "../control/index.ts";
import type { SinkDispatcher, SinkFeed, SiprecForwarder, StreamEndReason } from "../sinks/index.ts";
import type { CallRecord, Spool } from "../spool/index.ts";
import type { Srs, StreamStopReason } from "../srs/index.ts";
import type { CallRouting } from "./call-routing.ts";

/** Where an event goes once built: the log, MQTT, the page's recent events. */
export type EventOutlet = (event: AppEvent) => void;

/** Maps the SRS's stream stop reasons to EASP `stream.end` reasons (EASP.md §4). */
function endReason(reason: StreamStopReason): StreamEndReason {
  return reason === "bye" || reason === "reinvite" ? reason : "error";
}

/**
 * Connects the SRS to the sinks (the recording feed) and turns SRS and sink happenings into
 * appliance events (DESIGN.md §6). The SRS emits in a fixed order (session, then its streams;
 * streams stop before the session completes), so events and sink messages keep that order. Each
 * new call is routed as it starts (SESSIONSTARTED carries its sinks when the rules decided at
 * once; a webhook's later decision comes as SESSIONUPDATED `routing`).
 * @returns announces a call's changed sinks (SESSIONUPDATED `routing`, with the active sink names).
 */
export function wireEvents(
  srs: Srs,
  sinks: { feed: SinkFeed; dispatcher: SinkDispatcher; forwarder: SiprecForwarder },
  spool: Spool,
  routing: CallRouting,
  ctx: EventContext,
  emit: EventOutlet,
): (call: CallRecord) => void {
  const totals = new Map<string, SessionTotals>();
  const noTotals = (): SessionTotals => ({
    streams: 0,
    packetsReceived: 0,
    packetsLost: 0,
    framesSpooled: 0,
  });
  const { feed, dispatcher, forwarder } = sinks;
  const activeSinks = (callId: string): string[] => [
    ...(dispatcher.callSinks(callId) ?? []).filter((s) => s.state === "active").map((s) => s.sink),
    ...forwarder
      .forwards(callId)
      .filter((f) => f.state !== "done")
      .map((f) => f.sink),
  ];
  srs.observer.on("sessionstarted", (call, streams, invite) => {
    totals.set(call.callId, noTotals());
    feed.callStarted(call);
    const decided = routing.route(call, streams, invite);
    emit(sessionStarted(call, streams, ctx, decided ? activeSinks(call.callId) : []));
  });
  srs.observer.on("streamstarted", (call, stream) => {
    feed.streamStarted(call, stream);
    emit(streamStarted(call, stream, ctx));
  });
  srs.observer.on("sessionupdated", (call) => {
    feed.callUpdated(call);
    emit(sessionUpdated(call, "metadata", spool.listStreams(call.callId), ctx, activeSinks(call.callId)));
  });
  srs.observer.on("recordingpaused", (call, stream, paused, cause) => {
    const session = srs.find({ sessionId: call.callId });
    const allPaused = session ? session.streamStatus().every((s) => s.paused) : paused;
    forwarder.recordingPaused(call.callId, allPaused);
    const build = paused ? recordingPaused : recordingResumed;
    emit(
      build(
        call,
        {
          reason: cause.reason,
          trigger: cause.reason === "sip" ? "sdp" : "command",
          streamIds: [stream.streamId],
          ...(cause.note ? { note: cause.note } : {}),
        },
        ctx,
      ),
    );
  });
  srs.observer.on("streamstopped", (call, stream, rtp, reason) => {
    feed.streamEnded(stream, endReason(reason));
    const framesSpooled = spool.lastIdx(stream.streamId);
    const sum = totals.get(call.callId);
    if (sum) {
      sum.streams += 1;
      sum.packetsReceived += rtp.packetsReceived;
      sum.packetsLost += rtp.packetsLost;
      sum.framesSpooled += framesSpooled;
    }
    emit(
      streamStopped(
        call,
        stream,
        { packetsReceived: rtp.packetsReceived, packetsLost: rtp.packetsLost, framesSpooled },
        reason,
        ctx,
      ),
    );
  });
  srs.observer.on("sessioncompleted", (call) => {
    feed.callEnded(call);
    emit(sessionCompleted(call, totals.get(call.callId) ?? noTotals(), ctx));
    totals.delete(call.callId);
  });
  const callOf = (callId: string): CallRecord | undefined => spool.getCall(callId);
  const now = (): number => ctx.clock?.now() ?? performance.now();
  const disconnectedAt = new Map<string, number>();
  const unitKey = (u: { sink: string; callId: string; unit: string }): string =>
    `${u.sink} ${u.callId} ${u.unit}`;
  dispatcher.on("unitconnected", (unit) => emit(sinkConnected(unit, callOf(unit.callId), ctx)));
  dispatcher.on("unitdisconnected", (unit, reason) => {
    if (!disconnectedAt.has(unitKey(unit))) disconnectedAt.set(unitKey(unit), now());
    emit(sinkDisconnected(unit, callOf(unit.callId), reason, ctx));
  });
  dispatcher.on("unitcaughtup", (unit) => {
    const since = disconnectedAt.get(unitKey(unit));
    disconnectedAt.delete(unitKey(unit));
    emit(
      sinkCaughtUp(unit, callOf(unit.callId), since === undefined ? null : Math.round(now() - since), ctx),
    );
  });
  dispatcher.on("unitdone", (unit) => disconnectedAt.delete(unitKey(unit)));
  forwarder.on("started", (info) => emit(siprecForwardStarted(info, callOf(info.callId), ctx)));
  forwarder.on("failed", (info) => emit(siprecForwardFailed(info, callOf(info.callId), ctx)));
  forwarder.on("stopped", (info) => emit(siprecForwardStopped(info, callOf(info.callId), ctx)));
  dispatcher.on("unitalarm", (unit, code, message) =>
    emit(sinkAlarm({ code, message }, unit, callOf(unit.callId), ctx)),
  );
  return (call) =>
    emit(sessionUpdated(call, "routing", spool.listStreams(call.callId), ctx, activeSinks(call.callId)));
}
