import type { Clock, Logger } from "../lib/index.ts";
import { uuidv7 } from "../lib/index.ts";
import type { CallRecord, SinkCursor, Spool, StreamRecord } from "../spool/index.ts";
import type { OutputFormat } from "./audio-format.ts";
import { Backoff, ReconnectPolicy } from "./backoff.ts";
import { orderChannels } from "./channel-order.ts";
import type { CircuitBreaker } from "./circuit-breaker.ts";
import { CommitGate } from "./commit-gate.ts";
import { EaspUnit } from "./easp-unit.ts";
import type { UnitListener } from "./easp-unit-types.ts";
import { InterleavedSource, SLOT_MS } from "./interleaved-source.ts";
import type { ItemSource } from "./item-source.ts";
import { ParticipantSource } from "./participant-source.ts";
import { ScratchBuffer } from "./scratch-buffer.ts";
import {
  loadSegments,
  type SegmentOrigin,
  type StoredSegment,
  segmentUnit,
  storeSegment,
} from "./segments.ts";
import type { SinkOverrides } from "./sink-catalog.ts";
import type { SinkDispatcherOptions, StreamEndReason, WebSocketSinkConfig } from "./sink-types.ts";

/** Unit key of the single interleaved unit of a call. */
export const CALL_UNIT = "call";

/** A configured sink with its parsed format, its circuit breaker and its recovery queue. */
export interface Sink {
  config: WebSocketSinkConfig;
  format: OutputFormat;
  breaker: CircuitBreaker;
  /** Set once the receiver rejected the sink (4001/4003/4415): its units stay failed until reconfigured. */
  stopped: { code: string; message: string } | undefined;
  /** Recovered units waiting for a connection slot, oldest first. */
  queue: EaspUnit[];
  /** Recovered units connected or connecting. */
  active: Set<EaspUnit>;
}

/** A sink a call is routed to, with its per-call state (what the spool's call-sink row holds). */
export interface RoutedSink {
  /** Sink name (cursor key). */
  name: string;
  /** The sink its units use (configured, a per-call variant, or defined for this call only). */
  sink: Sink;
  /** The overrides it was chosen with. */
  overrides: SinkOverrides;
  /** Streaming to it was stopped (stopStream). */
  stopped: boolean;
  /** Stop cuts of its sessions: cursor unit → first frame idx / slot not delivered. */
  stopCuts: Record<string, number>;
}

/** What delivery of a plan owes, from its sink's routing: whether it is stopped, and the stop cuts. */
export type RouteCuts = Pick<RoutedSink, "stopped" | "stopCuts">;

/** A call being delivered. */
export interface CallEntry {
  call: CallRecord;
  /** Every unit of the call, on every sink (segments included). */
  units: EaspUnit[];
  /** Every stream of the call, in start order. */
  streams: StreamRecord[];
  /** Streams that ended, with the reason. */
  endedStreams: Map<number, StreamEndReason>;
  /** Interleaved sinks whose unit waits for the call's first frame: the streams collected so far. */
  pendingInterleaved: Map<Sink, StreamRecord[]>;
  ended: boolean;
  /** The call's sinks, in the order chosen; undefined until its routing is decided (explicit routing). */
  routing: RoutedSink[] | undefined;
  /** Whether {@link routing} is stored in the spool (routing by default is stored at the first command). */
  routingStored: boolean;
}

/** One output of a call on one sink: the unit of segment 0 and the streams it carries. */
export interface UnitPlan {
  sink: Sink;
  entry: CallEntry;
  /** `call` or the stream id. */
  base: string;
  /** One stream (per-participant) or the channels in order (interleaved). */
  streams: StreamRecord[];
}

/** Where a new unit starts and whether it already ends before the live edge. */
export interface UnitStart {
  origin: SegmentOrigin;
  cursor: SinkCursor;
  /** Set for a segment that ends before the live edge (live-first cut, or a stop). */
  cutAt: number | undefined;
  /** The `stream.end` reason at {@link cutAt}. */
  cutReason: StreamEndReason;
  /** Recovered: wait for a connection slot. */
  held: boolean;
}

/** What the factory needs from the dispatcher. */
export interface UnitFactoryOptions {
  options: SinkDispatcherOptions;
  spool: Spool;
  clock: Clock;
  logger: Logger;
  listener: UnitListener;
  /** Called when an interleaved source released slots from its hold-back timer. */
  onReady: (unit: EaspUnit) => void;
}

/**
 * Builds sink units (EASP sessions) and their item sources: the plans of a call (one unit per
 * stream or one per call), segment 0 or a stored/new continuation segment, with the streams that
 * already ended (or the cut) applied.
 */
export class UnitFactory {
  readonly #f: UnitFactoryOptions;
  readonly #scratch = new ScratchBuffer();
  /** When uncommitted frames may go out; moved to the wall clock before each round of pumps. */
  readonly gate = new CommitGate();
  readonly #backoff: { initialMs: number; maxMs: number };

  constructor(options: UnitFactoryOptions) {
    this.#f = options;
    this.#backoff = options.options.backoff ?? { initialMs: 500, maxMs: 30_000 };
  }

  /**
   * The outputs of an ended call on a sink (for recovery and delivery checks): one per stream
   * (per-participant), or one interleaved (none when no stream has audio). The interleaved channel
   * set is rebuilt as the live dispatcher fixed it at the call's first frame: the streams that had
   * started by the call epoch (T0, the first frame's capture time), except those that ended by then
   * without audio (every stream with audio when the epoch is unknown). `epochUs` (µs) is the call
   * epoch to use (the stored one, when the live call record does not have it yet).
   */
  plansOf(sink: Sink, entry: CallEntry, epochUs = entry.call.epochUs): UnitPlan[] {
    if (sink.config.mode === "per-participant") {
      return entry.streams.map((stream) => ({
        sink,
        entry,
        base: String(stream.streamId),
        streams: [stream],
      }));
    }
    const spool = this.#f.spool;
    const hasMedia = new Set(
      entry.streams.filter((s) => spool.lastIdx(s.streamId) > 0).map((s) => s.streamId),
    );
    if (hasMedia.size === 0) return [];
    const wasChannel = (s: StreamRecord): boolean =>
      epochUs > 0
        ? s.startedUs <= epochUs && (hasMedia.has(s.streamId) || !(s.endedUs > 0 && s.endedUs <= epochUs))
        : hasMedia.has(s.streamId);
    const channels = orderChannels(
      entry.streams.filter(wasChannel),
      sink.config.channelOrder ?? "customer-first",
    );
    return [{ sink, entry, base: CALL_UNIT, streams: channels }];
  }

  /**
   * The sink as a call's stored cursors show it was delivered: when the call has cursors on a sink
   * of that name in the other mode (the sink was reconfigured since), a variant in that mode, so a
   * reload neither strands nor repeats what was delivered before it.
   */
  asDelivered(sink: Sink, callId: string): Sink {
    const cursors = this.#f.spool.listCursors({ callId, sink: sink.config.name });
    if (cursors.length === 0) return sink;
    const interleaved = cursors.some((c) => c.unit.split(/[#.]/)[0] === CALL_UNIT);
    const mode = interleaved ? "interleaved" : "per-participant";
    return mode === sink.config.mode ? sink : { ...sink, config: { ...sink.config, mode } };
  }

  /** First frame idx (per-participant) or slot (interleaved) of a unit's segment 0. */
  firstOfBase(sink: Sink): number {
    return sink.config.mode === "per-participant" ? 1 : 0;
  }

  /**
   * The start of a brand-new unit (segment 0, new session, cursor stored now), from the stream's
   * first frame / slot, or from `first` (a sink started again after a stop, on a stream it never carried).
   */
  newStart(plan: UnitPlan, held: boolean, first = this.firstOfBase(plan.sink)): UnitStart {
    if (first !== this.firstOfBase(plan.sink)) {
      const origin: SegmentOrigin = { segment: 0, first, discardedFromPos: -1, continuationOf: null };
      const { callId } = plan.entry.call;
      const cursor = storeSegment(this.#f.spool, callId, plan.sink.config.name, plan.base, origin, uuidv7());
      return { origin, cursor, cutAt: undefined, cutReason: "segment-cut", held };
    }
    const cursor: SinkCursor = {
      callId: plan.entry.call.callId,
      sink: plan.sink.config.name,
      unit: plan.base,
      sessionId: uuidv7(),
      ackedSeq: 0,
      done: false,
    };
    this.#f.spool.saveCursor(cursor);
    const origin = {
      segment: 0,
      first: this.firstOfBase(plan.sink),
      discardedFromPos: -1,
      continuationOf: null,
    };
    return { origin, cursor, cutAt: undefined, cutReason: "segment-cut", held };
  }

  /** Marks a plan as owing nothing (a stream that started and ended while its sink was stopped). */
  placeholder(plan: UnitPlan): void {
    this.#f.spool.saveCursor({
      callId: plan.entry.call.callId,
      sink: plan.sink.config.name,
      unit: plan.base,
      sessionId: uuidv7(),
      ackedSeq: 0,
      done: true,
    });
  }

  /**
   * The live edge of a plan's output from the spool: the next frame idx (per-participant), or the
   * 20 ms slot after the newest audio of its channels (interleaved).
   */
  liveEdge(plan: UnitPlan): number {
    const spool = this.#f.spool;
    if (plan.sink.config.mode === "per-participant") {
      return spool.lastIdx((plan.streams[0] as StreamRecord).streamId) + 1;
    }
    let end = 0;
    for (const { streamId } of plan.streams) {
      const lastIdx = spool.lastIdx(streamId);
      const last = lastIdx > 0 ? spool.readFrames(streamId, lastIdx, 1)[0] : undefined;
      if (last) end = Math.max(end, last.pos + last.durationSamples);
    }
    return Math.ceil(end / ((plan.sink.format.rate * SLOT_MS) / 1000));
  }

  /**
   * What `recover()` restarts of a plan (held for a recovery slot): its unfinished stored segments
   * (a stopped one up to its cut), or a new segment 0 when the unit never got a cursor (none when
   * the sink is stopped: the plan never had a unit before the stop).
   */
  startsToRecover(plan: UnitPlan, route: RouteCuts): UnitStart[] {
    const segments = this.#segments(plan, route);
    if (segments.length === 0) return route.stopped ? [] : [this.newStart(plan, true)];
    return segments
      .filter((s) => !s.finished)
      .map((s) => ({
        origin: s.origin,
        cursor: s.cursor,
        cutAt: s.cutAt,
        cutReason: s.cutReason,
        held: true,
      }));
  }

  /**
   * Whether every segment of a plan is finished; a plan without a cursor is not, unless its sink is
   * stopped (it owes nothing then).
   */
  delivered(plan: UnitPlan, route: RouteCuts): boolean {
    const segments = this.#segments(plan, route);
    if (segments.length === 0) return route.stopped;
    return segments.every((s) => s.finished);
  }

  /** A call entry for a call that is no longer live, read from the spool (every stream ended). */
  endedEntry(call: CallRecord): CallEntry {
    const streams = this.#f.spool.listStreams(call.callId);
    const reason = endReasonOfCall(call);
    return {
      call,
      units: [],
      streams,
      endedStreams: new Map(streams.map((s) => [s.streamId, reason])),
      pendingInterleaved: new Map(),
      ended: true,
      routing: undefined,
      routingStored: false,
    };
  }

  #segments(plan: UnitPlan, route: RouteCuts): StoredSegment[] {
    const { spool } = this.#f;
    return loadSegments(
      spool,
      plan.entry.call.callId,
      plan.sink.config.name,
      plan.base,
      this.firstOfBase(plan.sink),
      route.stopCuts,
    );
  }

  /**
   * Stores a continuation segment of `unit` (its companion rows and cursor) starting at `first`,
   * opening with a DISCARDED gap from `discardedFromPos` when that is ≥ 0.
   */
  continuation(plan: UnitPlan, unit: EaspUnit, first: number, discardedFromPos: number): UnitStart {
    const origin: SegmentOrigin = {
      segment: unit.segment + 1,
      first,
      discardedFromPos,
      continuationOf: unit.sessionId,
    };
    const { callId } = plan.entry.call;
    const cursor = storeSegment(this.#f.spool, callId, plan.sink.config.name, plan.base, origin, uuidv7());
    return { origin, cursor, cutAt: undefined, cutReason: "segment-cut", held: false };
  }

  /** Builds the unit of `plan` starting at `start`; ended streams and a cut are applied to its source. */
  create(plan: UnitPlan, start: UnitStart): EaspUnit {
    const { sink, entry } = plan;
    let unit: EaspUnit | undefined;
    const source = this.#source(plan, start.origin, () => {
      if (unit) this.#f.onReady(unit);
    });
    if (start.cutAt !== undefined) source.cut(start.cutAt, start.cutReason);
    for (const stream of plan.streams) {
      const ended = entry.endedStreams.get(stream.streamId);
      if (ended) source.onStreamEnded(stream, ended);
    }
    unit = new EaspUnit({
      config: sink.config,
      unitKey: segmentUnit(plan.base, start.origin.segment),
      baseKey: plan.base,
      origin: start.origin,
      sessionId: start.cursor.sessionId,
      ackedSeq: start.cursor.ackedSeq,
      call: entry.call,
      source,
      spool: this.#f.spool,
      scratch: this.#scratch,
      reconnect: new ReconnectPolicy(
        new Backoff(this.#backoff.initialMs, this.#backoff.maxMs, this.#f.options.random),
      ),
      breaker: sink.breaker,
      clock: this.#f.clock,
      logger: this.#f.logger,
      applianceId: this.#f.options.applianceId,
      version: this.#f.options.version,
      listener: this.#f.listener,
      held: start.held,
    });
    return unit;
  }

  #source(plan: UnitPlan, origin: SegmentOrigin, onReady: () => void): ItemSource {
    const { sink, entry } = plan;
    const spool = this.#f.spool;
    const stored = spool.getCall(entry.call.callId);
    const epochUs = stored?.epochUs || entry.call.epochUs || this.#epochFromFirstFrame(plan.streams);
    if (sink.config.mode === "per-participant") {
      const stream = plan.streams[0] as StreamRecord;
      return new ParticipantSource({ spool, stream, format: sink.format, origin, epochUs, gate: this.gate });
    }
    return new InterleavedSource({
      spool,
      streams: plan.streams,
      format: sink.format,
      epochUs,
      origin,
      gate: this.gate,
      holdBackMs: this.#f.options.holdBackMs ?? 200,
      clock: this.#f.clock,
      logger: this.#f.logger.child({ sink: sink.config.name, callId: entry.call.callId }),
      onReady,
    });
  }

  #epochFromFirstFrame(streams: StreamRecord[]): number {
    for (const stream of streams) {
      const first = this.#f.spool.readFrames(stream.streamId, 1, 1)[0];
      if (first) return Math.round(first.captureUs - (first.pos * 1e6) / stream.rate);
    }
    return 0;
  }
}

/** The `stream.end` reason for streams still open when their call ends. */
export function endReasonOfCall(call: CallRecord): StreamEndReason {
  if (call.state === "recovered" || call.reason === "recovered") return "recovered";
  if (call.reason === "media-timeout") return "rtp-timeout";
  return "bye";
}
