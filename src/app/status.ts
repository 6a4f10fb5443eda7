import type { RtpReceiverStats } from "../media/index.ts";
import type { SinkDispatcher, SiprecForwarder } from "../sinks/index.ts";
import type { CallRecord, Spool } from "../spool/index.ts";
import type { Srs } from "../srs/index.ts";
import type { CallStatus, RecentEvent, StatusSnapshot, StreamLevel } from "../web/index.ts";
import {
  type ConfiguredSink,
  deliveringCallIds,
  oldestUndeliveredAgeS,
  oldestUndeliveredUs,
  sinkHealth,
} from "./sink-health.ts";

/** How many ended calls the page and `/api/status` list. */
const recentCalls = 20;

/** Inputs of the status snapshot, gathered by the app. */
export interface StatusSources {
  applianceId: string;
  version: string;
  startedMs: number;
  srs: Srs;
  spool: Spool;
  spoolPath: string;
  dispatcher: SinkDispatcher;
  forwarder: SiprecForwarder;
  listening: () => string[];
  mqtt: { configured: boolean; connected: () => boolean };
  accepting: () => boolean;
  counters: () => Record<string, number>;
  /** Final RTP counters of stopped streams (by stream id), kept for the recent-calls table. */
  finalRtp: ReadonlyMap<number, RtpReceiverStats>;
  /** The configured sinks (they change on reload). */
  sinks: () => ConfiguredSink[];
  /** Drain state. */
  drain: () => "off" | "draining" | "drained";
  /** The last events, newest first. */
  events: () => RecentEvent[];
  /** Wall time, µs since the Unix epoch. */
  nowUs: () => number;
}

function iso(us: number): string | null {
  return us > 0 ? new Date(us / 1000).toISOString() : null;
}

function callStatus(
  call: CallRecord,
  sources: StatusSources,
  live: Map<number, RtpReceiverStats>,
): CallStatus {
  const streams = sources.spool.listStreams(call.callId).map((s) => {
    const rtp = live.get(s.streamId) ?? sources.finalRtp.get(s.streamId);
    return {
      streamId: s.streamId,
      label: s.label,
      codec: s.codec,
      participantId: s.participantId,
      role: s.role,
      packetsReceived: rtp?.packetsReceived ?? 0,
      packetsLost: rtp?.packetsLost ?? 0,
      packetsInvalid:
        (rtp?.packetsMalformed ?? 0) + (rtp?.packetsWrongSource ?? 0) + (rtp?.packetsUnauthenticated ?? 0),
      jitterMs: rtp?.jitterMs ?? 0,
      level: live.has(s.streamId) ? (rtp?.level ?? 0) : 0,
      framesSpooled: sources.spool.lastIdx(s.streamId),
    };
  });
  return {
    callId: call.callId,
    sipCallId: call.sipCallId,
    state: call.state,
    reason: call.reason,
    startedAt: iso(call.startedUs) ?? "",
    endedAt: iso(call.endedUs),
    source: call.source,
    correlation: call.correlation,
    participants: call.participants.map((p) => ({ ...p })),
    streams,
    sinks: sources.dispatcher.status(call.callId),
    forwards: sources.forwarder.forwards(call.callId),
  };
}

/** Builds the snapshot served at `/api/status` and pushed to the page. */
export function buildStatus(sources: StatusSources): StatusSnapshot {
  const sessions = sources.srs.sessions();
  const liveRtp = new Map<number, RtpReceiverStats>();
  for (const session of sessions)
    for (const s of session.streamStatus()) liveRtp.set(s.stream.streamId, s.rtp);
  const liveIds = new Set(sessions.map((s) => s.call.callId));
  const stats = sources.spool.stats();
  const level = sources.spool.level();
  const units = sources.dispatcher.status();
  const forwards = [...deliveringCallIds([...liveIds], units)].flatMap((callId) =>
    sources.forwarder.forwards(callId),
  );
  const oldestUs = oldestUndeliveredUs(units, (callId) => sources.spool.getCall(callId)?.startedUs ?? 0);
  return {
    applianceId: sources.applianceId,
    version: sources.version,
    startedAt: new Date(sources.startedMs).toISOString(),
    uptimeS: Math.round((Date.now() - sources.startedMs) / 1000),
    health: {
      sip: { listening: sources.listening() },
      mqtt: { configured: sources.mqtt.configured, connected: sources.mqtt.connected() },
      spool: {
        path: sources.spoolPath,
        bytes: level.bytes,
        framesPending: stats.framesPending,
        maxBytes: level.maxBytes,
        freeDiskBytes: level.freeDiskBytes,
        highWater: level.highWater,
        oldestUndeliveredAgeS: oldestUndeliveredAgeS(oldestUs, sources.nowUs()),
      },
      sinks: sinkHealth(sources.sinks(), units, forwards),
      drain: sources.drain(),
      accepting: sources.accepting(),
    },
    calls: {
      live: sessions.map((s) => callStatus(s.call, sources, liveRtp)),
      recent: sources.spool
        .listCalls({ limit: recentCalls + liveIds.size })
        .filter((c) => !liveIds.has(c.callId))
        .slice(0, recentCalls)
        .map((c) => callStatus(c, sources, liveRtp)),
    },
    events: sources.events(),
    counters: sources.counters(),
  };
}

/** The live streams' audio levels (the page's meters, pushed every 250 ms): no spool access, no allocation beyond the list. */
export function streamLevels(srs: Srs): StreamLevel[] {
  const levels: StreamLevel[] = [];
  for (const session of srs.sessions())
    for (const s of session.streamStatus()) levels.push({ streamId: s.stream.streamId, level: s.rtp.level });
  return levels;
}
