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
import { InterleavedSource } from "./interleaved-source.ts";
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
  /** Set for a segment that a later one continues (live-first cut). */
  cutAt: number | undefined;
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
   * without audio (every stream with audio when the epoch is unknown).
   */
  plansOf(sink: Sink, entry: CallEntry): UnitPlan[] {
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
    const epochUs = entry.call.epochUs;
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

  /** First frame idx (per-participant) or slot (interleaved) of a unit's segment 0. */
  firstOfBase(sink: Sink): number {
    return sink.config.mode === "per-participant" ? 1 : 0;
  }

  /** The start of a brand-new unit (segment 0, new session, cursor stored now). */
  newStart(plan: UnitPlan, held: boolean): UnitStart {
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
    return { origin, cursor, cutAt: undefined, held };
  }

  /**
   * What `recover()` restarts of a plan (held for a recovery slot): its unfinished stored segments,
   * or a new segment 0 when the unit never got a cursor.
   */
  startsToRecover(plan: UnitPlan): UnitStart[] {
    const segments = this.#segments(plan);
    if (segments.length === 0) return [this.newStart(plan, true)];
    return segments
      .filter((s) => !s.finished)
      .map((s) => ({ origin: s.origin, cursor: s.cursor, cutAt: s.cutAt, held: true }));
  }

  /** Whether every segment of a plan is finished (a plan without a cursor is not). */
  delivered(plan: UnitPlan): boolean {
    const segments = this.#segments(plan);
    return segments.length > 0 && segments.every((s) => s.finished);
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
    };
  }

  #segments(plan: UnitPlan): StoredSegment[] {
    const { spool } = this.#f;
    return loadSegments(
      spool,
      plan.entry.call.callId,
      plan.sink.config.name,
      plan.base,
      this.firstOfBase(plan.sink),
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
    return { origin, cursor, cutAt: undefined, held: false };
  }

  /** Builds the unit of `plan` starting at `start`; ended streams and a cut are applied to its source. */
  create(plan: UnitPlan, start: UnitStart): EaspUnit {
    const { sink, entry } = plan;
    let unit: EaspUnit | undefined;
    const source = this.#source(plan, start.origin, () => {
      if (unit) this.#f.onReady(unit);
    });
    if (start.cutAt !== undefined) source.cut(start.cutAt);
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
