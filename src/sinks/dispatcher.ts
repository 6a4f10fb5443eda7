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
import {
  checkRestart,
  freshRoute,
  resolveChoices,
  rowOf,
  stateOf,
  stateOfRow,
  storedRouting,
  storeRoute,
} from "./call-routing.ts";
import type { CircuitBreaker } from "./circuit-breaker.ts";
import type { EaspUnit } from "./easp-unit.ts";
import type { UnitListener } from "./easp-unit-types.ts";
import { SinkError } from "./errors.ts";
import { segmentUnit } from "./segments.ts";
import { overridesOf, SinkCatalog } from "./sink-catalog.ts";
import type {
  CallSinkChoice,
  CallSinkState,
  SinkDispatcher,
  SinkDispatcherEvents,
  SinkDispatcherOptions,
  SinkUnitStatus,
  StreamEndReason,
  WebSocketSinkConfig,
} from "./sink-types.ts";
import { type CallEntry, endReasonOfCall, UnitFactory, type UnitPlan } from "./unit-factory.ts";
import { UnitWiring } from "./unit-wiring.ts";

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

/** What `status()` and `callSinks()` still report of a delivered call. */
interface FinishedCall {
  units: SinkUnitStatus[];
  sinks: CallSinkState[] | undefined;
}

/**
 * Creates the sink dispatcher (DESIGN.md §5): for each call and each of its sinks (every configured
 * sink, or those chosen per call by `route()` / `startSink()`), one EASP unit per stream
 * (`per-participant`) or one per call (`interleaved`), fed live from the recording feed and from the
 * spool when behind; continuation segments for live-first replay, ack regressions and a sink started
 * again after a stop; a circuit breaker per sink; `recover()` after a restart.
 * @throws SinkError `SINK_CONFIG` when a sink's format, mode, protocol or url is not supported.
 */
export function createSinkDispatcher(options: SinkDispatcherOptions): SinkDispatcher {
  return new SinkDispatcherImpl(options);
}

/** @internal The implementation behind {@link createSinkDispatcher}. */
class SinkDispatcherImpl extends TypedEmitter<SinkDispatcherEvents> implements SinkDispatcher, UnitListener {
  readonly #spool: Spool;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #catalog: SinkCatalog;
  readonly #explicitRouting: boolean;
  readonly #factory: UnitFactory;
  readonly #calls = new Map<string, CallEntry>();
  /** Final unit statuses and sinks of delivered calls, oldest first (bounded). */
  readonly #finished = new Map<string, FinishedCall>();
  readonly #wiring: UnitWiring;
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
    this.#catalog = new SinkCatalog(options.sinks, this.#clock);
    this.#explicitRouting = options.explicitRouting ?? false;
    this.#factory = new UnitFactory({
      options,
      spool: this.#spool,
      clock: this.#clock,
      logger: this.#log,
      listener: this,
      onReady: (unit) => this.dirty(unit),
    });
    this.#wiring = new UnitWiring({
      spool: this.#spool,
      factory: this.#factory,
      logger: this.#log,
      recoveryConcurrency: Math.max(1, options.recoveryConcurrency ?? 64),
      isClosed: () => this.#closed,
      dirty: (unit) => this.dirty(unit),
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
    for (const route of entry.routing ?? []) {
      if (!route.stopped) this.#wiring.addStream(entry, route.sink, stream);
    }
  }

  frame(frame: FrameRecord): void {
    if (!this.#closed) this.#wiring.frame(frame);
  }

  streamEnded(stream: StreamRecord, reason: StreamEndReason): void {
    this.#calls.get(stream.callId)?.endedStreams.set(stream.streamId, reason);
    this.#wiring.streamEnded(stream, reason);
  }

  callEnded(call: CallRecord): void {
    const entry = this.#calls.get(call.callId);
    if (!entry) return;
    entry.call = call;
    const reason = endReasonOfCall(call);
    if (entry.pendingInterleaved.size > 0) this.#wiring.buildPendingInterleaved(entry);
    for (const stream of entry.streams) {
      if (!entry.endedStreams.has(stream.streamId)) this.streamEnded(stream, reason);
    }
    entry.ended = true;
    this.#forgetIfDone(entry);
  }

  route(callId: string, choices: CallSinkChoice[]): void {
    const entry = this.#calls.get(callId);
    if (!entry) throw new SinkError("SINK_UNKNOWN_CALL", `call ${callId} is not known to the sinks`);
    if (entry.routing) throw new SinkError("SINK_ALREADY_ROUTED", `the sinks of call ${callId} are decided`);
    const routes = resolveChoices(this.#catalog, choices);
    this.#spool.setCallSinks(callId, routes.map(rowOf));
    entry.routing = routes;
    entry.routingStored = true;
    this.#log.info("call routed", { callId, sinks: routes.map((r) => r.name) });
    for (const route of routes) this.#wiring.buildFromStart(entry, route.sink);
    this.#forgetIfDone(entry);
  }

  startSink(callId: string, choice: CallSinkChoice): void {
    const entry = this.#liveEntry(callId);
    if (!entry.routing)
      throw new SinkError("SINK_NOT_ROUTED", `the sinks of call ${callId} are not decided yet`);
    const existing = entry.routing.find((r) => r.name === choice.sink);
    if (existing && !existing.stopped) {
      throw new SinkError("SINK_ALREADY_STARTED", `sink ${choice.sink} is active on call ${callId}`);
    }
    if (existing) {
      checkRestart(existing, choice);
      storeRoute(this.#spool, entry, { ...existing, stopped: false });
      existing.stopped = false;
      this.#log.info("sink started again on the call at the live edge", { callId, sink: existing.name });
      this.#wiring.restart(entry, existing);
      return;
    }
    const route = freshRoute(this.#catalog.resolve(choice), overridesOf(choice));
    storeRoute(this.#spool, entry, route);
    entry.routing.push(route);
    this.#log.info("sink started on the call", { callId, sink: route.name });
    this.#wiring.buildFromStart(entry, route.sink);
  }

  stopSink(callId: string, sink: string): void {
    const entry = this.#liveEntry(callId);
    const route = entry.routing?.find((r) => r.name === sink);
    if (!route || route.stopped) {
      throw new SinkError("SINK_ALREADY_STOPPED", `sink ${sink} is not streaming call ${callId}`);
    }
    const cuts = this.#wiring.stopCuts(entry, route.sink);
    const stopCuts = { ...route.stopCuts };
    for (const [unit, cutAt] of cuts) stopCuts[unit.unitKey] = cutAt;
    storeRoute(this.#spool, entry, { ...route, stopped: true, stopCuts });
    route.stopped = true;
    route.stopCuts = stopCuts;
    entry.pendingInterleaved.delete(route.sink);
    this.#wiring.cut(cuts);
    this.#log.info("sink stopped on the call: delivering up to the cut", { callId, sink, stopCuts });
  }

  callSinks(callId: string): CallSinkState[] | undefined {
    const entry = this.#calls.get(callId);
    if (entry) return this.#sinksOf(entry);
    const finished = this.#finished.get(callId);
    if (finished) return finished.sinks;
    return this.#spool.listCallSinks(callId)?.map(stateOfRow);
  }

  reconfigure(sinks: WebSocketSinkConfig[]): void {
    this.#catalog.reconfigure(sinks);
    this.#log.info("sinks reconfigured", { sinks: sinks.map((s) => s.name) });
  }

  recover(): void {
    if (this.#closed) return;
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
    const call = this.#spool.getCall(callId);
    if (!call) return true;
    if (call.state === "live") return false;
    if (this.#calls.get(callId)?.units.some((u) => u.state !== "done")) return false;
    const entry = this.#factory.endedEntry(call);
    const { routes } = storedRouting(this.#spool, this.#catalog, callId, () => {});
    return routes.every((route) =>
      this.#factory
        .plansOf(this.#factory.asDelivered(route.sink, callId), entry)
        .every((p) => this.#factory.delivered(p, route)),
    );
  }

  status(callId?: string): SinkUnitStatus[] {
    if (callId === undefined)
      return [...this.#calls.values()].flatMap((entry) => entry.units.map((u) => u.status()));
    const entry = this.#calls.get(callId);
    return entry ? entry.units.map((u) => u.status()) : (this.#finished.get(callId)?.units ?? []);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const breakers = new Set<CircuitBreaker>(this.#catalog.sinks.map((s) => s.breaker));
    for (const entry of this.#calls.values())
      for (const r of entry.routing ?? []) breakers.add(r.sink.breaker);
    for (const breaker of breakers) breaker.dispose();
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
    this.#wiring.releaseSlot(unit);
    const entry = this.#calls.get(unit.callId);
    if (entry) this.#forgetIfDone(entry);
  }

  failed(unit: EaspUnit): void {
    this.#wiring.releaseSlot(unit);
  }

  cutSegment(unit: EaspUnit): void {
    const plan = this.#wiring.planOf(unit);
    if (!plan) return;
    const cutAt = unit.source.liveEdge();
    const next = this.#wiring.add(plan, this.#factory.continuation(plan, unit, cutAt, -1));
    unit.source.cut(cutAt, "segment-cut");
    this.#wiring.moveLiveFeed(plan, unit, next);
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
    const plan = this.#wiring.planOf(unit);
    if (!plan) return;
    const stopAt = this.#wiring.stopCutOf(unit);
    if (stopAt !== undefined) this.#inheritStopCut(plan, segmentUnit(plan.base, unit.segment + 1), stopAt);
    const first = unit.source.firstRetainedIndex();
    const next = this.#wiring.add(
      plan,
      this.#factory.continuation(plan, unit, first, unit.source.startPos()),
    );
    unit.supersede(next.sessionId);
    this.#wiring.supersede(plan, unit, next);
    next.startIfReady();
  }

  rejectSink(unit: EaspUnit, code: string, message: string): void {
    const plan = this.#wiring.planOf(unit);
    if (!plan) return;
    const sink = plan.sink;
    this.alarm(unit, code, message);
    sink.stopped = { code, message };
    for (const entry of this.#calls.values()) {
      for (const u of entry.units) if (this.#wiring.planOf(u)?.sink === sink) u.fail(code, message);
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

  /** Restores the undelivered units of one ended call on its sinks (oldest backlog first); returns how many. */
  #recoverCall(call: CallRecord): number {
    if (this.#calls.has(call.callId)) return 0;
    const entry = this.#factory.endedEntry(call);
    const routing = storedRouting(this.#spool, this.#catalog, call.callId, (sink, reason) =>
      this.#log.warn("a sink the call was routed to is gone: not delivered", {
        code: "SINK_UNKNOWN",
        callId: call.callId,
        sink,
        reason,
      }),
    );
    entry.routing = routing.routes;
    entry.routingStored = routing.stored;
    for (const route of routing.routes) {
      route.sink = this.#factory.asDelivered(route.sink, call.callId);
      for (const plan of this.#factory.plansOf(route.sink, entry)) {
        for (const start of this.#factory.startsToRecover(plan, route)) this.#wiring.recovered(plan, start);
      }
    }
    if (entry.units.length > 0) this.#calls.set(call.callId, entry);
    return entry.units.length;
  }

  /** A live call known to the dispatcher. @throws SinkError `SINK_UNKNOWN_CALL`. */
  #liveEntry(callId: string): CallEntry {
    const entry = this.#calls.get(callId);
    if (!entry || entry.ended) throw new SinkError("SINK_UNKNOWN_CALL", `call ${callId} is not a live call`);
    return entry;
  }

  /** Stores that a segment replacing a stopped one (ack regression) ends at the same stop cut. */
  #inheritStopCut(plan: UnitPlan, unitKey: string, cutAt: number): void {
    const route = plan.entry.routing?.find((r) => r.sink === plan.sink);
    if (!route) return;
    const stopCuts = { ...route.stopCuts, [unitKey]: cutAt };
    try {
      storeRoute(this.#spool, plan.entry, { ...route, stopCuts });
      route.stopCuts = stopCuts;
    } catch (err) {
      this.#log.error("cannot store the stop cut of a new segment", {
        code: "SINK_STOP_CUT",
        callId: plan.entry.call.callId,
        unit: unitKey,
        error: errorMessage(err),
      });
    }
  }

  /** A call's sinks as `callSinks()` reports them (none when a recovered call was never routed explicitly). */
  #sinksOf(entry: CallEntry): CallSinkState[] | undefined {
    if (!entry.routing || (this.#explicitRouting && !entry.routingStored)) return undefined;
    return entry.routing.map(stateOf);
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
        routing: this.#explicitRouting ? undefined : this.#catalog.sinks.map((sink) => freshRoute(sink)),
        routingStored: false,
      };
      this.#calls.set(call.callId, entry);
    }
    return entry;
  }

  /**
   * Moves a call to the finished list once it ended, its sinks are decided and every unit is done
   * (failed units stay active).
   */
  #forgetIfDone(entry: CallEntry): void {
    if (!entry.ended || !entry.routing || !entry.units.every((u) => u.state === "done")) return;
    this.#calls.delete(entry.call.callId);
    this.#finished.set(entry.call.callId, {
      units: entry.units.map((u) => u.status()),
      sinks: this.#sinksOf(entry),
    });
    if (this.#finished.size > FINISHED_CALLS_KEPT) {
      const oldest = this.#finished.keys().next().value;
      if (oldest !== undefined) this.#finished.delete(oldest);
    }
  }
}
