import { type Clock, type Logger, silentLogger, systemClock, TypedEmitter, uuidv7 } from "../lib/index.ts";
import type { CallRecord, FrameRecord, Spool, StreamRecord } from "../spool/index.ts";
import { type OutputFormat, parseSinkFormat } from "./audio-format.ts";
import { Backoff } from "./backoff.ts";
import { orderChannels } from "./channel-order.ts";
import { EaspUnit } from "./easp-unit.ts";
import type { UnitListener } from "./easp-unit-types.ts";
import { SinkError } from "./errors.ts";
import { InterleavedSource } from "./interleaved-source.ts";
import type { ItemSource } from "./item-source.ts";
import { ParticipantSource } from "./participant-source.ts";
import { ScratchBuffer } from "./scratch-buffer.ts";
import type {
  SinkDispatcher,
  SinkDispatcherEvents,
  SinkDispatcherOptions,
  SinkUnitStatus,
  StreamEndReason,
  WebSocketSinkConfig,
} from "./sink-types.ts";

/** Unit key of the single interleaved unit of a call. */
const CALL_UNIT = "call";
/** Finished calls whose final unit status `status(callId)` still reports. */
const FINISHED_CALLS_KEPT = 200;
/** How long `close()` lets connected units get their sent items acknowledged, ms. */
const SHUTDOWN_GRACE_MS = 2_000;

/** A configured sink with its parsed format. */
interface Sink {
  config: WebSocketSinkConfig;
  format: OutputFormat;
}

/** A call being delivered. */
interface CallEntry {
  call: CallRecord;
  /** Every unit of the call, on every sink. */
  units: EaspUnit[];
  /** Every stream of the call, in start order. */
  streams: StreamRecord[];
  /** Streams that ended, with the reason. */
  endedStreams: Map<number, StreamEndReason>;
  /** Interleaved sinks whose unit waits for the call's first frame: the streams collected so far. */
  pendingInterleaved: Map<Sink, StreamRecord[]>;
  ended: boolean;
}

/**
 * Creates the sink dispatcher (DESIGN.md §5): for each call and each configured sink, one EASP
 * unit per stream (`per-participant`) or one per call (`interleaved`), fed live from the
 * recording feed and from the spool when behind.
 * @throws SinkError `SINK_CONFIG` when a sink's format, mode or protocol is not supported.
 */
export function createSinkDispatcher(options: SinkDispatcherOptions): SinkDispatcher {
  return new SinkDispatcherImpl(options);
}

/** @internal The implementation behind {@link createSinkDispatcher}. */
class SinkDispatcherImpl extends TypedEmitter<SinkDispatcherEvents> implements SinkDispatcher, UnitListener {
  readonly #spool: Spool;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #options: SinkDispatcherOptions;
  readonly #sinks: Sink[];
  readonly #calls = new Map<string, CallEntry>();
  /** Final unit statuses of delivered calls, oldest first (bounded). */
  readonly #finished = new Map<string, SinkUnitStatus[]>();
  /** Units fed by each stream (hot-path lookup in `frame`). */
  readonly #byStream = new Map<number, EaspUnit[]>();
  /** Calls with an interleaved unit still to build, by their streams' ids. */
  readonly #pendingByStream = new Map<number, CallEntry>();
  readonly #unitSinks = new WeakMap<EaspUnit, Sink>();
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #scratch = new ScratchBuffer();
  #dirty: EaspUnit[] = [];
  #flushScheduled = false;
  #closed = false;

  constructor(options: SinkDispatcherOptions) {
    super();
    this.#options = options;
    this.#spool = options.spool;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.#sinks = options.sinks.map((config) => {
      if (config.type !== "websocket" || config.protocol !== "easp") {
        throw new SinkError(
          "SINK_CONFIG",
          `sink ${config.name}: only websocket sinks with protocol easp are supported`,
        );
      }
      if (config.mode !== "interleaved" && config.mode !== "per-participant") {
        throw new SinkError(
          "SINK_CONFIG",
          `sink ${config.name}: unknown mode ${JSON.stringify(config.mode)}`,
        );
      }
      return { config, format: parseSinkFormat(config.format) };
    });
  }

  callStarted(call: CallRecord): void {
    this.#entry(call);
  }

  callUpdated(call: CallRecord): void {
    const entry = this.#entry(call);
    entry.call = call;
    for (const unit of entry.units) unit.updateCall(call);
  }

  streamStarted(call: CallRecord, stream: StreamRecord): void {
    if (this.#closed) return;
    const entry = this.#entry(call);
    entry.streams.push(stream);
    for (const sink of this.#sinks) {
      if (sink.config.mode === "per-participant") {
        const key = String(stream.streamId);
        const unit = this.#createUnit(
          sink,
          entry,
          key,
          () => new ParticipantSource(this.#spool, stream, sink.format),
        );
        if (unit) this.#attach(stream.streamId, unit);
      } else if (this.#hasUnit(entry, sink, CALL_UNIT)) {
        this.#log.warn("stream started after the interleaved unit was built: not in that sink's output", {
          code: "SINK_LATE_STREAM",
          sink: sink.config.name,
          callId: call.callId,
          streamId: stream.streamId,
        });
      } else {
        const pending = entry.pendingInterleaved.get(sink) ?? [];
        pending.push(stream);
        entry.pendingInterleaved.set(sink, pending);
        this.#pendingByStream.set(stream.streamId, entry);
      }
    }
  }

  frame(frame: FrameRecord): void {
    if (this.#closed) return;
    if (this.#pendingByStream.size > 0) {
      const pending = this.#pendingByStream.get(frame.streamId);
      if (pending !== undefined) this.#buildPendingInterleaved(pending);
    }
    const units = this.#byStream.get(frame.streamId);
    if (units === undefined) return;
    for (let i = 0; i < units.length; i++) {
      const unit = units[i] as EaspUnit;
      unit.source.onFrame(frame);
      unit.startIfReady();
      this.dirty(unit);
    }
  }

  streamEnded(stream: StreamRecord, reason: StreamEndReason): void {
    const entry = this.#calls.get(stream.callId);
    entry?.endedStreams.set(stream.streamId, reason);
    const units = this.#byStream.get(stream.streamId) ?? [];
    this.#byStream.delete(stream.streamId);
    for (const unit of units) {
      unit.source.onStreamEnded(stream, reason);
      unit.startIfReady();
      this.dirty(unit);
    }
  }

  callEnded(call: CallRecord): void {
    const entry = this.#calls.get(call.callId);
    if (!entry) return;
    entry.call = call;
    const reason = endReasonOfCall(call);
    if (entry.pendingInterleaved.size > 0) this.#buildPendingInterleaved(entry);
    for (const stream of entry.streams) {
      if (!entry.endedStreams.has(stream.streamId)) this.streamEnded(stream, reason);
    }
    entry.ended = true;
    this.#forgetIfDone(entry);
  }

  status(callId?: string): SinkUnitStatus[] {
    if (callId === undefined)
      return [...this.#calls.values()].flatMap((entry) => entry.units.map((u) => u.status()));
    const entry = this.#calls.get(callId);
    return entry ? entry.units.map((u) => u.status()) : (this.#finished.get(callId) ?? []);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const units = [...this.#calls.values()].flatMap((entry) => entry.units);
    await Promise.all(units.map((unit) => unit.shutdown(SHUTDOWN_GRACE_MS)));
  }

  dirty(unit: EaspUnit): void {
    if (!unit.dirty) {
      unit.dirty = true;
      this.#dirty.push(unit);
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
  }

  connected(unit: EaspUnit): void {
    this.safeEmit("unitconnected", unit.status());
  }

  disconnected(unit: EaspUnit, reason: string): void {
    this.safeEmit("unitdisconnected", unit.status(), reason);
  }

  done(unit: EaspUnit): void {
    this.safeEmit("unitdone", unit.status());
    const entry = this.#calls.get(unit.callId);
    if (entry) this.#forgetIfDone(entry);
  }

  /** Pumps every unit that got work in this event-loop turn: one message per unit per turn. */
  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const dirty = this.#dirty;
    this.#dirty = [];
    for (const unit of dirty) {
      unit.dirty = false;
      unit.pump();
    }
  };

  #entry(call: CallRecord): CallEntry {
    let entry = this.#calls.get(call.callId);
    if (!entry) {
      entry = {
        call,
        units: [],
        streams: [],
        endedStreams: new Map(),
        pendingInterleaved: new Map(),
        ended: false,
      };
      this.#calls.set(call.callId, entry);
    }
    return entry;
  }

  #hasUnit(entry: CallEntry, sink: Sink, unitKey: string): boolean {
    return entry.units.some((u) => u.unitKey === unitKey && this.#unitSinks.get(u) === sink);
  }

  #attach(streamId: number, unit: EaspUnit): void {
    const units = this.#byStream.get(streamId);
    if (units) units.push(unit);
    else this.#byStream.set(streamId, [unit]);
  }

  /**
   * Builds a call's waiting interleaved units (at its first frame, or when it ends). The channel
   * set is fixed from then on; streams that already ended without media get no channel.
   */
  #buildPendingInterleaved(entry: CallEntry): void {
    for (const stream of entry.streams) this.#pendingByStream.delete(stream.streamId);
    const pending = [...entry.pendingInterleaved];
    entry.pendingInterleaved.clear();
    for (const [sink, streams] of pending) {
      const withMedia = streams.filter(
        (s) => !entry.endedStreams.has(s.streamId) || this.#spool.lastIdx(s.streamId) > 0,
      );
      if (withMedia.some((s) => this.#spool.lastIdx(s.streamId) > 0))
        this.#buildInterleaved(entry, sink, withMedia);
    }
  }

  #buildInterleaved(entry: CallEntry, sink: Sink, streams: StreamRecord[]): void {
    const channels = orderChannels(streams, sink.config.channelOrder ?? "customer-first");
    const unit = this.#createUnit(sink, entry, CALL_UNIT, (onReady) => {
      const stored = this.#spool.getCall(entry.call.callId);
      return new InterleavedSource({
        spool: this.#spool,
        streams: channels,
        format: sink.format,
        epochUs: stored?.epochUs || entry.call.epochUs || this.#epochFromFirstFrame(channels),
        holdBackMs: this.#options.holdBackMs ?? 200,
        clock: this.#clock,
        logger: this.#log.child({ sink: sink.config.name, callId: entry.call.callId }),
        onReady,
      });
    });
    if (!unit) return;
    for (const stream of channels) {
      const ended = entry.endedStreams.get(stream.streamId);
      if (ended) unit.source.onStreamEnded(stream, ended);
      else this.#attach(stream.streamId, unit);
    }
    unit.startIfReady();
  }

  #epochFromFirstFrame(streams: StreamRecord[]): number {
    for (const stream of streams) {
      const first = this.#spool.readFrames(stream.streamId, 1, 1)[0];
      if (first) return Math.round(first.captureUs - (first.pos * 1e6) / stream.rate);
    }
    return 0;
  }

  /** Creates a unit from its stored cursor (or a new session); undefined if already delivered. */
  #createUnit(
    sink: Sink,
    entry: CallEntry,
    unitKey: string,
    makeSource: (onReady: () => void) => ItemSource,
  ): EaspUnit | undefined {
    const { callId } = entry.call;
    const cursor = this.#spool.getCursor(callId, sink.config.name, unitKey);
    if (cursor?.done) return undefined;
    const sessionId = cursor?.sessionId ?? uuidv7();
    if (!cursor) {
      this.#spool.saveCursor({
        callId,
        sink: sink.config.name,
        unit: unitKey,
        sessionId,
        ackedSeq: 0,
        done: false,
      });
    }
    let unit: EaspUnit | undefined;
    const source = makeSource(() => {
      if (unit) this.dirty(unit);
    });
    unit = new EaspUnit({
      config: sink.config,
      unitKey,
      sessionId,
      ackedSeq: cursor?.ackedSeq ?? 0,
      call: entry.call,
      source,
      spool: this.#spool,
      scratch: this.#scratch,
      backoff: new Backoff(this.#backoff.initialMs, this.#backoff.maxMs),
      clock: this.#clock,
      logger: this.#log,
      applianceId: this.#options.applianceId,
      version: this.#options.version,
      listener: this,
    });
    this.#unitSinks.set(unit, sink);
    entry.units.push(unit);
    if (this.#closed) void unit.shutdown(0);
    return unit;
  }

  /** Moves a call to the finished list once it ended and every unit is done (failed units stay active). */
  #forgetIfDone(entry: CallEntry): void {
    if (!entry.ended || !entry.units.every((u) => u.state === "done")) return;
    this.#calls.delete(entry.call.callId);
    this.#finished.set(
      entry.call.callId,
      entry.units.map((u) => u.status()),
    );
    if (this.#finished.size > FINISHED_CALLS_KEPT) {
      const oldest = this.#finished.keys().next().value;
      if (oldest !== undefined) this.#finished.delete(oldest);
    }
  }
}

/** The `stream.end` reason for streams still open when their call ends. */
function endReasonOfCall(call: CallRecord): StreamEndReason {
  if (call.state === "recovered" || call.reason === "recovered") return "recovered";
  if (call.reason === "media-timeout") return "rtp-timeout";
  return "bye";
}
