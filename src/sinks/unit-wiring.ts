import type { Logger } from "../lib/index.ts";
import type { FrameRecord, Spool, StreamRecord } from "../spool/index.ts";
import { orderChannels } from "./channel-order.ts";
import type { EaspUnit } from "./easp-unit.ts";
import type { StreamEndReason } from "./sink-types.ts";
import {
  CALL_UNIT,
  type CallEntry,
  type RoutedSink,
  type Sink,
  type UnitFactory,
  type UnitPlan,
  type UnitStart,
} from "./unit-factory.ts";

/** What {@link UnitWiring} needs from the dispatcher. */
export interface UnitWiringOptions {
  spool: Spool;
  factory: UnitFactory;
  logger: Logger;
  /** Recovered units that may connect at the same time, per sink. */
  recoveryConcurrency: number;
  /** Whether the dispatcher is closing (new units shut down at once). */
  isClosed: () => boolean;
  /** Queues a unit for this turn's pump. */
  dirty: (unit: EaspUnit) => void;
}

/**
 * The units of the calls being delivered and how they are fed: builds a call's units on a sink (as
 * its streams start, when it is routed or a sink is started late, when a stopped sink starts again),
 * hands each live frame to the units of its stream (hot path), cuts units at a stop, and lets
 * recovered units connect a bounded number at a time per sink.
 */
export class UnitWiring {
  readonly #o: UnitWiringOptions;
  readonly #spool: Spool;
  readonly #factory: UnitFactory;
  readonly #log: Logger;
  /** Units fed by each stream (hot-path lookup in `frame`). */
  readonly #byStream = new Map<number, EaspUnit[]>();
  /** Calls with an interleaved unit still to build, by their streams' ids. */
  readonly #pendingByStream = new Map<number, CallEntry>();
  readonly #plans = new WeakMap<EaspUnit, UnitPlan>();
  /** Units that a stop cut, with the cut (a segment superseding one inherits it). */
  readonly #stopCuts = new WeakMap<EaspUnit, number>();

  constructor(options: UnitWiringOptions) {
    this.#o = options;
    this.#spool = options.spool;
    this.#factory = options.factory;
    this.#log = options.logger;
  }

  /** The plan a unit was built for. */
  planOf(unit: EaspUnit): UnitPlan | undefined {
    return this.#plans.get(unit);
  }

  /** Where a stop cut the unit, if it did. */
  stopCutOf(unit: EaspUnit): number | undefined {
    return this.#stopCuts.get(unit);
  }

  /** A live frame: builds the call's waiting interleaved units at its first frame, feeds the stream's units. */
  frame(frame: FrameRecord): void {
    if (this.#pendingByStream.size > 0) {
      const pending = this.#pendingByStream.get(frame.streamId);
      if (pending !== undefined) this.buildPendingInterleaved(pending);
    }
    const units = this.#byStream.get(frame.streamId);
    if (units === undefined) return;
    for (let i = 0; i < units.length; i++) {
      const unit = units[i] as EaspUnit;
      unit.source.onFrame(frame);
      unit.startIfReady();
      this.#o.dirty(unit);
    }
  }

  /** A stream ended: its units learn it and are fed no more. */
  streamEnded(stream: StreamRecord, reason: StreamEndReason): void {
    const units = this.#byStream.get(stream.streamId) ?? [];
    this.#byStream.delete(stream.streamId);
    for (const unit of units) {
      unit.source.onStreamEnded(stream, reason);
      unit.startIfReady();
      this.#o.dirty(unit);
    }
  }

  /**
   * Where a stop cuts each unit of a call on a sink: the live ones (not done, not cut already), at
   * their live edge.
   */
  stopCuts(entry: CallEntry, sink: Sink): Map<EaspUnit, number> {
    const cuts = new Map<EaspUnit, number>();
    for (const unit of entry.units) {
      if (this.#plans.get(unit)?.sink === sink && unit.state !== "done" && unit.source.isLive()) {
        cuts.set(unit, unit.source.liveEdge());
      }
    }
    return cuts;
  }

  /** Cuts units with `stream.end{reason:"stopped"}` (after the cuts are stored) and stops feeding them. */
  cut(cuts: ReadonlyMap<EaspUnit, number>): void {
    for (const [unit, cutAt] of cuts) {
      unit.source.cut(cutAt, "stopped");
      this.#stopCuts.set(unit, cutAt);
      this.#detach(unit);
      unit.startIfReady();
      this.#o.dirty(unit);
    }
  }

  /** Builds a recovered unit (held for a slot), remembering a stop cut it ends at. */
  recovered(plan: UnitPlan, start: UnitStart): EaspUnit {
    const unit = this.add(plan, start);
    if (start.cutReason === "stopped" && start.cutAt !== undefined) this.#stopCuts.set(unit, start.cutAt);
    return unit;
  }

  /**
   * Replaces `unit` by the continuation segment `next` (ack regression): `next` gets its live
   * frames, its recovery slot, and a stop cut `unit` had.
   */
  supersede(plan: UnitPlan, unit: EaspUnit, next: EaspUnit): void {
    const stopAt = this.#stopCuts.get(unit);
    if (stopAt !== undefined) {
      next.source.cut(stopAt, "stopped");
      this.#stopCuts.set(next, stopAt);
    }
    this.moveLiveFeed(plan, unit, next);
    if (plan.sink.active.delete(unit)) plan.sink.active.add(next);
  }

  /** Adds a stream that started to a sink the call is routed to (a unit, or a channel to be). */
  addStream(entry: CallEntry, sink: Sink, stream: StreamRecord): void {
    if (sink.config.mode === "per-participant") {
      const plan = { sink, entry, base: String(stream.streamId), streams: [stream] };
      const unit = this.add(plan, this.#factory.newStart(plan, false));
      this.#attach(stream.streamId, unit);
      unit.startIfReady();
    } else if (entry.units.some((u) => u.baseKey === CALL_UNIT && this.#plans.get(u)?.sink === sink)) {
      this.#log.warn("stream started after the interleaved unit was built: not in that sink's output", {
        code: "SINK_LATE_STREAM",
        sink: sink.config.name,
        callId: entry.call.callId,
        streamId: stream.streamId,
      });
    } else {
      const pending = entry.pendingInterleaved.get(sink) ?? [];
      pending.push(stream);
      entry.pendingInterleaved.set(sink, pending);
      this.#pendingByStream.set(stream.streamId, entry);
    }
  }

  /** Builds a sink's units of a call routed to it late (route, startSink): from the call's first frame. */
  buildFromStart(entry: CallEntry, sink: Sink): void {
    if (this.#o.isClosed()) return;
    if (sink.config.mode !== "per-participant") {
      this.#buildInterleaved(entry, sink, false);
      return;
    }
    for (const stream of entry.streams) {
      const plan = { sink, entry, base: String(stream.streamId), streams: [stream] };
      const unit = this.add(plan, this.#factory.newStart(plan, false));
      this.#attachPlan(plan, unit);
      unit.startIfReady();
    }
  }

  /**
   * Builds the interleaved unit of a call on a sink now when the call has audio (from its first slot,
   * or from the live edge), with the channels `recover()` would rebuild; else waits for the first frame.
   */
  #buildInterleaved(entry: CallEntry, sink: Sink, atLiveEdge: boolean): void {
    if (!entry.streams.some((s) => this.#spool.lastIdx(s.streamId) > 0)) {
      if (entry.ended) return;
      entry.pendingInterleaved.set(sink, [...entry.streams]);
      for (const stream of entry.streams) this.#pendingByStream.set(stream.streamId, entry);
      return;
    }
    const epochUs = this.#spool.getCall(entry.call.callId)?.epochUs || entry.call.epochUs;
    for (const plan of this.#factory.plansOf(sink, entry, epochUs)) {
      if (atLiveEdge && this.#allEnded(plan)) {
        this.#factory.placeholder(plan);
        continue;
      }
      const first = atLiveEdge ? this.#factory.liveEdge(plan) : undefined;
      const unit = this.add(plan, this.#factory.newStart(plan, false, first));
      this.#attachPlan(plan, unit);
      unit.startIfReady();
    }
  }

  /**
   * Starts a stopped sink of a live call again at the live edge: a continuation segment for each of
   * its outputs, a new unit from the live edge for streams it never carried (nothing for those that
   * started and ended while it was stopped).
   */
  restart(entry: CallEntry, route: RoutedSink): void {
    if (this.#o.isClosed()) return;
    const latest = new Map<string, EaspUnit>();
    for (const unit of entry.units) {
      const seen = latest.get(unit.baseKey);
      if (this.#plans.get(unit)?.sink === route.sink && (!seen || unit.segment > seen.segment)) {
        latest.set(unit.baseKey, unit);
      }
    }
    for (const unit of latest.values()) {
      const plan = this.#plans.get(unit) as UnitPlan;
      if (this.#allEnded(plan)) continue;
      const next = this.add(plan, this.#factory.continuation(plan, unit, this.#factory.liveEdge(plan), -1));
      this.#attachPlan(plan, next);
      next.startIfReady();
    }
    const { sink } = route;
    if (sink.config.mode !== "per-participant") {
      if (!latest.has(CALL_UNIT)) this.#buildInterleaved(entry, sink, true);
      return;
    }
    for (const stream of entry.streams) {
      if (latest.has(String(stream.streamId))) continue;
      const plan = { sink, entry, base: String(stream.streamId), streams: [stream] };
      if (this.#allEnded(plan)) {
        this.#factory.placeholder(plan);
        continue;
      }
      const unit = this.add(plan, this.#factory.newStart(plan, false, this.#factory.liveEdge(plan)));
      this.#attachPlan(plan, unit);
      unit.startIfReady();
    }
  }

  #allEnded(plan: UnitPlan): boolean {
    return plan.streams.every((s) => plan.entry.endedStreams.has(s.streamId));
  }

  /** Creates a unit, registers it with its call, and queues it for a slot when it is held (recovery). */
  add(plan: UnitPlan, start: UnitStart): EaspUnit {
    const unit = this.#factory.create(plan, start);
    this.#plans.set(unit, plan);
    plan.entry.units.push(unit);
    const { sink } = plan;
    if (sink.stopped) unit.fail(sink.stopped.code, sink.stopped.message);
    else if (this.#o.isClosed()) void unit.shutdown(0);
    else if (start.held) this.#queue(sink, unit);
    return unit;
  }

  /** Lets a recovered unit connect now if its sink has a free slot, else keeps it waiting. */
  #queue(sink: Sink, unit: EaspUnit): void {
    if (sink.active.size < this.#o.recoveryConcurrency) {
      sink.active.add(unit);
      unit.release();
    } else {
      sink.queue.push(unit);
    }
  }

  /** A unit finished: its recovery slot (if it had one) goes to the next waiting unit. */
  releaseSlot(unit: EaspUnit): void {
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
  moveLiveFeed(plan: UnitPlan, unit: EaspUnit, next: EaspUnit): void {
    for (const stream of plan.streams) {
      const units = this.#byStream.get(stream.streamId);
      const at = units?.indexOf(unit) ?? -1;
      if (units && at >= 0) units[at] = next;
    }
  }

  #attach(streamId: number, unit: EaspUnit): void {
    const units = this.#byStream.get(streamId);
    if (units) units.push(unit);
    else this.#byStream.set(streamId, [unit]);
  }

  /** Feeds a unit the live frames of its plan's streams that have not ended. */
  #attachPlan(plan: UnitPlan, unit: EaspUnit): void {
    for (const stream of plan.streams) {
      if (!plan.entry.endedStreams.has(stream.streamId)) this.#attach(stream.streamId, unit);
    }
  }

  /** Stops feeding a unit live frames (it was cut). */
  #detach(unit: EaspUnit): void {
    for (const stream of this.#plans.get(unit)?.streams ?? []) {
      const units = this.#byStream.get(stream.streamId);
      const at = units?.indexOf(unit) ?? -1;
      if (units && at >= 0) units.splice(at, 1);
    }
  }

  /**
   * Builds a call's waiting interleaved units (at its first frame, or when it ends). The channel
   * set is fixed from then on; streams that already ended without media get no channel.
   */
  buildPendingInterleaved(entry: CallEntry): void {
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
      const unit = this.add(plan, this.#factory.newStart(plan, false));
      for (const stream of channels)
        if (!entry.endedStreams.has(stream.streamId)) this.#attach(stream.streamId, unit);
      unit.startIfReady();
    }
  }
}
