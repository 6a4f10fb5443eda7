import {
  type Clock,
  errorMessage,
  type Logger,
  silentLogger,
  systemClock,
  type TimerHandle,
  TypedEmitter,
} from "../lib/index.ts";
import type { CallRecord, FrameRecord, Spool, StreamRecord } from "../spool/index.ts";
import { parseSinkFormat } from "./audio-format.ts";
import { orderChannels } from "./channel-order.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import type { EaspUnit } from "./easp-unit.ts";
import type { UnitListener } from "./easp-unit-types.ts";
import { SinkError } from "./errors.ts";
import type {
  SinkDispatcher,
  SinkDispatcherEvents,
  SinkDispatcherOptions,
  SinkUnitStatus,
  StreamEndReason,
} from "./sink-types.ts";
import {
  CALL_UNIT,
  type CallEntry,
  endReasonOfCall,
  type Sink,
  UnitFactory,
  type UnitPlan,
  type UnitStart,
} from "./unit-factory.ts";

/** Finished calls whose final unit status `status(callId)` still reports. */
const FINISHED_CALLS_KEPT = 200;
/** How long `close()` lets connected units get their sent items acknowledged, ms. */
const SHUTDOWN_GRACE_MS = 2_000;
/**
 * How often units whose next frame awaits the spool's group commit are pumped again, ms. New
 * frames pump a unit anyway; this covers the tail before a silence (no RTP, no frames).
 */
const COMMIT_POLL_MS = 50;
/** Calls `recover()` examines per event-loop turn (it must not hold up the start of the SIP side). */
const RECOVER_BATCH = 256;

/**
 * Creates the sink dispatcher (DESIGN.md §5): for each call and each configured sink, one EASP
 * unit per stream (`per-participant`) or one per call (`interleaved`), fed live from the
 * recording feed and from the spool when behind; continuation segments for live-first replay and
 * ack regressions; a circuit breaker per sink; `recover()` after a restart.
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
  readonly #sinks: Sink[];
  readonly #factory: UnitFactory;
  readonly #recoveryConcurrency: number;
  readonly #calls = new Map<string, CallEntry>();
  /** Final unit statuses of delivered calls, oldest first (bounded). */
  readonly #finished = new Map<string, SinkUnitStatus[]>();
  /** Units fed by each stream (hot-path lookup in `frame`). */
  readonly #byStream = new Map<number, EaspUnit[]>();
  /** Calls with an interleaved unit still to build, by their streams' ids. */
  readonly #pendingByStream = new Map<number, CallEntry>();
  readonly #plans = new WeakMap<EaspUnit, UnitPlan>();
  #dirty: EaspUnit[] = [];
  #flushScheduled = false;
  /** Units waiting for a group commit, pumped by one shared timer. */
  #waitingForCommit = new Set<EaspUnit>();
  #commitPoll: TimerHandle | undefined;
  #closed = false;

  constructor(options: SinkDispatcherOptions) {
    super();
    this.#spool = options.spool;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#recoveryConcurrency = Math.max(1, options.recoveryConcurrency ?? 64);
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
      const breaker = new CircuitBreaker(
        config.circuitBreaker?.failures ?? 5,
        config.circuitBreaker?.coolDownMs ?? 30_000,
        this.#clock,
      );
      return {
        config,
        format: parseSinkFormat(config.format),
        breaker,
        stopped: undefined,
        queue: [],
        active: new Set(),
      };
    });
    this.#factory = new UnitFactory({
      options,
      spool: this.#spool,
      clock: this.#clock,
      logger: this.#log,
      listener: this,
      onReady: (unit) => this.dirty(unit),
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
        const plan = { sink, entry, base: String(stream.streamId), streams: [stream] };
        const unit = this.#add(plan, this.#factory.newStart(plan, false));
        this.#attach(stream.streamId, unit);
        unit.startIfReady();
      } else if (entry.units.some((u) => u.baseKey === CALL_UNIT && this.#plans.get(u)?.sink === sink)) {
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

  recover(): void {
    if (this.#closed || this.#sinks.length === 0) return;
    const calls = this.#spool.listCalls({ state: ["completed", "recovered"], order: "oldest" });
    let next = 0;
    let units = 0;
    const batch = (): void => {
      if (this.#closed) return;
      try {
        for (const end = Math.min(calls.length, next + RECOVER_BATCH); next < end; next++) {
          units += this.#recoverCall(calls[next] as CallRecord);
        }
      } catch (err) {
        this.#log.error("recovery of undelivered calls stopped", {
          code: "SINK_RECOVER",
          error: errorMessage(err),
        });
        return;
      }
      if (next < calls.length) setImmediate(batch);
      else if (units > 0)
        this.#log.info("delivering what the spool owed the sinks", { code: "SINK_RECOVER", units });
    };
    batch();
  }

  isDelivered(callId: string): boolean {
    if (this.#sinks.length === 0) return true;
    const call = this.#spool.getCall(callId);
    if (!call) return true;
    if (call.state === "live") return false;
    const entry = this.#factory.endedEntry(call);
    return this.#sinks.every((sink) =>
      this.#factory.plansOf(sink, entry).every((p) => this.#factory.delivered(p)),
    );
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
    for (const sink of this.#sinks) sink.breaker.dispose();
    this.#clock.clearTimer(this.#commitPoll);
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

  waitForCommit(unit: EaspUnit): void {
    this.#waitingForCommit.add(unit);
    this.#commitPoll ??= this.#clock.setTimeout(this.#onCommitPoll, COMMIT_POLL_MS);
  }

  connected(unit: EaspUnit): void {
    this.safeEmit("unitconnected", unit.status());
  }

  disconnected(unit: EaspUnit, reason: string): void {
    this.safeEmit("unitdisconnected", unit.status(), reason);
  }

  caughtUp(unit: EaspUnit): void {
    this.safeEmit("unitcaughtup", unit.status());
  }

  alarm(unit: EaspUnit, code: string, message: string): void {
    this.safeEmit("unitalarm", unit.status(), code, message);
  }

  done(unit: EaspUnit): void {
    this.safeEmit("unitdone", unit.status());
    this.#releaseSlot(unit);
    const entry = this.#calls.get(unit.callId);
    if (entry) this.#forgetIfDone(entry);
  }

  failed(unit: EaspUnit): void {
    this.#releaseSlot(unit);
  }

  cutSegment(unit: EaspUnit): void {
    const plan = this.#plans.get(unit);
    if (!plan) return;
    const cutAt = unit.source.liveEdge();
    const next = this.#add(plan, this.#factory.continuation(plan, unit, cutAt, -1));
    unit.source.cut(cutAt);
    this.#moveLiveFeed(plan, unit, next);
    this.#log.info("live-first: live audio continues on a new segment while the backlog drains", {
      sink: plan.sink.config.name,
      callId: unit.callId,
      unit: unit.unitKey,
      next: next.unitKey,
      cutAt,
    });
    next.startIfReady();
  }

  supersede(unit: EaspUnit): void {
    const plan = this.#plans.get(unit);
    if (!plan) return;
    const first = unit.source.firstRetainedIndex();
    const next = this.#add(plan, this.#factory.continuation(plan, unit, first, unit.source.startPos()));
    unit.supersede(next.sessionId);
    this.#moveLiveFeed(plan, unit, next);
    if (plan.sink.active.delete(unit)) plan.sink.active.add(next);
    next.startIfReady();
  }

  stopSink(unit: EaspUnit, code: string, message: string): void {
    const plan = this.#plans.get(unit);
    if (!plan) return;
    const sink = plan.sink;
    this.alarm(unit, code, message);
    sink.stopped = { code, message };
    for (const entry of this.#calls.values()) {
      for (const u of entry.units) if (this.#plans.get(u)?.sink === sink) u.fail(code, message);
    }
  }

  readonly #onCommitPoll = (): void => {
    this.#commitPoll = undefined;
    const waiting = this.#waitingForCommit;
    this.#waitingForCommit = new Set();
    for (const unit of waiting) this.dirty(unit);
  };

  /** Pumps every unit that got work in this event-loop turn: one message per unit per turn. */
  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const dirty = this.#dirty;
    this.#dirty = [];
    this.#factory.gate.update(this.#clock.wallUs());
    for (const unit of dirty) {
      unit.dirty = false;
      unit.pump();
    }
  };

  /** Restores the undelivered units of one ended call (oldest backlog first); returns how many. */
  #recoverCall(call: CallRecord): number {
    if (this.#calls.has(call.callId)) return 0;
    const entry = this.#factory.endedEntry(call);
    for (const sink of this.#sinks) {
      for (const plan of this.#factory.plansOf(sink, entry)) {
        for (const start of this.#factory.startsToRecover(plan)) this.#add(plan, start);
      }
    }
    if (entry.units.length > 0) this.#calls.set(call.callId, entry);
    return entry.units.length;
  }

  /** Creates a unit, registers it with its call, and queues it for a slot when it is held (recovery). */
  #add(plan: UnitPlan, start: UnitStart): EaspUnit {
    const unit = this.#factory.create(plan, start);
    this.#plans.set(unit, plan);
    plan.entry.units.push(unit);
    const { sink } = plan;
    if (sink.stopped) unit.fail(sink.stopped.code, sink.stopped.message);
    else if (this.#closed) void unit.shutdown(0);
    else if (start.held) this.#queue(sink, unit);
    return unit;
  }

  /** Lets a recovered unit connect now if its sink has a free slot, else keeps it waiting. */
  #queue(sink: Sink, unit: EaspUnit): void {
    if (sink.active.size < this.#recoveryConcurrency) {
      sink.active.add(unit);
      unit.release();
    } else {
      sink.queue.push(unit);
    }
  }

  /** A unit finished: its recovery slot (if it had one) goes to the next waiting unit. */
  #releaseSlot(unit: EaspUnit): void {
    const sink = this.#plans.get(unit)?.sink;
    if (!sink?.active.delete(unit)) return;
    for (let next = sink.queue.shift(); next; next = sink.queue.shift()) {
      if (next.state === "done" || next.state === "failed") continue;
      sink.active.add(next);
      if (next.held) next.release();
      else next.startIfReady();
      break;
    }
  }

  /** Live frames of the plan's streams go to `next` instead of `unit` from now on. */
  #moveLiveFeed(plan: UnitPlan, unit: EaspUnit, next: EaspUnit): void {
    for (const stream of plan.streams) {
      const units = this.#byStream.get(stream.streamId);
      const at = units?.indexOf(unit) ?? -1;
      if (units && at >= 0) units[at] = next;
    }
  }

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
      if (!withMedia.some((s) => this.#spool.lastIdx(s.streamId) > 0)) continue;
      const channels = orderChannels(withMedia, sink.config.channelOrder ?? "customer-first");
      const plan = { sink, entry, base: CALL_UNIT, streams: channels };
      const unit = this.#add(plan, this.#factory.newStart(plan, false));
      for (const stream of channels)
        if (!entry.endedStreams.has(stream.streamId)) this.#attach(stream.streamId, unit);
      unit.startIfReady();
    }
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
