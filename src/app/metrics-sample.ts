import type { SinkDispatcher, SiprecForwarder } from "../sinks/index.ts";
import type { Spool } from "../spool/index.ts";
import type { Srs } from "../srs/index.ts";
import type { MetricsSample } from "../web/index.ts";
import { deliveringCallIds, oldestUndeliveredAgeS, oldestUndeliveredUs } from "./sink-health.ts";

/** Cumulative RTP counters of one codec. */
interface CodecTotals {
  packetsReceived: number;
  packetsLost: number;
}

/**
 * Counters `/metrics` needs that no component keeps across calls (Prometheus counters never go
 * down): calls answered, RTP packets of stopped streams per codec, reconnects per sink. Fed by the
 * SRS observer and the sink dispatcher's events.
 */
export class MetricsCounters {
  callsTotal = 0;
  /** RTP totals of streams that stopped, per codec. */
  readonly stoppedRtp = new Map<string, CodecTotals>();
  /** Connection losses per sink (each one is followed by a reconnect attempt). */
  readonly reconnects = new Map<string, number>();

  /** Subscribes to the SRS and the sinks. */
  constructor(srs: Srs, dispatcher: SinkDispatcher) {
    srs.observer.on("sessionstarted", () => {
      this.callsTotal++;
    });
    srs.observer.on("streamstopped", (_call, stream, rtp) => {
      const totals = this.stoppedRtp.get(stream.codec) ?? { packetsReceived: 0, packetsLost: 0 };
      totals.packetsReceived += rtp.packetsReceived;
      totals.packetsLost += rtp.packetsLost;
      this.stoppedRtp.set(stream.codec, totals);
    });
    dispatcher.on("unitdisconnected", (unit) => {
      this.reconnects.set(unit.sink, (this.reconnects.get(unit.sink) ?? 0) + 1);
    });
  }
}

/** Everything {@link buildMetricsSample} reads. */
export interface MetricsSources {
  applianceId: string;
  version: string;
  srs: Srs;
  spool: Spool;
  dispatcher: SinkDispatcher;
  forwarder: SiprecForwarder;
  counters: MetricsCounters;
  sinkNames: () => string[];
  /** Names of the configured SIPREC forwarding sinks. */
  siprecSinkNames: () => string[];
  accepting: () => boolean;
  draining: () => boolean;
  mqttConnected: () => boolean;
  sip: () => {
    responsesByStatus: Record<string, number>;
    requestsByMethod: Record<string, number>;
    parseErrors: number;
  };
  eventOutboxDepth: () => number;
  nowUs: () => number;
}

/**
 * Samples the appliance for `/metrics` (Prometheus text format, README "Metrics"). The oldest
 * undelivered age is that of the oldest call a sink unit still owes audio to (backlog > 0, or a
 * unit not yet connected), 0 when nothing is owed.
 */
export function buildMetricsSample(sources: MetricsSources): MetricsSample {
  const sessions = sources.srs.sessions();
  const rtp = new Map<string, CodecTotals>();
  for (const [codec, totals] of sources.counters.stoppedRtp) rtp.set(codec, { ...totals });
  for (const session of sessions) {
    for (const s of session.streamStatus()) {
      const totals = rtp.get(s.stream.codec) ?? { packetsReceived: 0, packetsLost: 0 };
      totals.packetsReceived += s.rtp.packetsReceived;
      totals.packetsLost += s.rtp.packetsLost;
      rtp.set(s.stream.codec, totals);
    }
  }

  const units = sources.dispatcher.status();
  const bySink = new Map<string, { unitsByState: Record<string, number>; backlogMs: number }>();
  for (const name of sources.sinkNames()) bySink.set(name, { unitsByState: {}, backlogMs: 0 });
  for (const unit of units) {
    const sink = bySink.get(unit.sink) ?? { unitsByState: {}, backlogMs: 0 };
    sink.unitsByState[unit.state] = (sink.unitsByState[unit.state] ?? 0) + 1;
    sink.backlogMs += unit.backlogMs;
    bySink.set(unit.sink, sink);
  }
  const oldestOwedUs = oldestUndeliveredUs(units, (callId) => sources.spool.getCall(callId)?.startedUs ?? 0);

  const level = sources.spool.level();
  return {
    applianceId: sources.applianceId,
    version: sources.version,
    accepting: sources.accepting(),
    draining: sources.draining(),
    mqttConnected: sources.mqttConnected(),
    callsActive: sessions.length,
    callsTotal: sources.counters.callsTotal,
    rtp: [...rtp].map(([codec, t]) => ({ codec, ...t })),
    spool: {
      bytes: level.bytes,
      maxBytes: level.maxBytes,
      oldestUndeliveredAgeS: oldestUndeliveredAgeS(oldestOwedUs, sources.nowUs()),
      framesDiscarded: sources.spool.stats().framesDiscarded,
    },
    sinks: [...bySink].map(([sink, s]) => ({
      sink,
      unitsByState: s.unitsByState,
      backlogS: s.backlogMs / 1000,
      reconnects: sources.counters.reconnects.get(sink) ?? 0,
    })),
    forwards: forwardSamples(sources),
    sip: sources.sip(),
    eventOutboxDepth: sources.eventOutboxDepth(),
  };
}

/** Forwards of the live calls and of the calls sinks still owe audio to, by SIPREC sink. */
function forwardSamples(sources: MetricsSources): MetricsSample["forwards"] {
  const callIds = deliveringCallIds(
    sources.srs.sessions().map((s) => s.call.callId),
    sources.dispatcher.status(),
  );
  const bySink = new Map<string, { forwardsByState: Record<string, number>; owedFrames: number }>();
  for (const name of sources.siprecSinkNames()) bySink.set(name, { forwardsByState: {}, owedFrames: 0 });
  for (const callId of callIds) {
    for (const f of sources.forwarder.forwards(callId)) {
      const sink = bySink.get(f.sink) ?? { forwardsByState: {}, owedFrames: 0 };
      sink.forwardsByState[f.state] = (sink.forwardsByState[f.state] ?? 0) + 1;
      sink.owedFrames += f.owedFrames;
      bySink.set(f.sink, sink);
    }
  }
  return [...bySink].map(([sink, s]) => ({ sink, ...s }));
}
