import {
  errorCode,
  errorMessage,
  type Logger,
  silentLogger,
  systemClock,
  TypedEmitter,
} from "../../lib/index.ts";
import type { CallRecord, FrameRecord, Spool, StreamRecord } from "../../spool/index.ts";
import type { StreamEndReason } from "../sink-types.ts";
import { CallEntries } from "./call-entries.ts";
import { SiprecForwardError } from "./errors.ts";
import { ForwardCatalog, type ResolvedForward } from "./forward-catalog.ts";
import { ForwardRunner } from "./forward-runner.ts";
import { forwardStatus, storedStatus } from "./forward-status.ts";
import type {
  ForwardChoice,
  ForwardEvents,
  ForwardInfo,
  ForwardStatus,
  SiprecForwarder,
  SiprecForwarderOptions,
  SiprecSinkConfig,
} from "./forward-types.ts";
import { ProgressStore, type Segment } from "./progress.ts";
import { type CallEntry, SinkForward } from "./sink-forward.ts";
import { TargetRegistry } from "./target-registry.ts";

/** Calls `recover()` examines per event-loop turn. */
const RECOVER_BATCH = 256;

/**
 * Creates the SIPREC forwarder (DESIGN.md §5 "SIPREC forward", RFC 7866 §6 as SRC; see
 * {@link SiprecForwarder}).
 * @throws SiprecForwardError `SIPREC_FORWARD_CONFIG`, `SIPREC_FORWARD_SRTP_NEEDS_TLS` for an unusable sink.
 */
export function createSiprecForwarder(options: SiprecForwarderOptions): SiprecForwarder {
  return new SiprecForwarderImpl(options);
}

/**
 * @internal The implementation behind {@link createSiprecForwarder}: the API (routing, commands,
 * status, recovery) over the followed calls ({@link CallEntries}) and their progress in the spool;
 * the sessions themselves are run by a {@link ForwardRunner}.
 */
class SiprecForwarderImpl extends TypedEmitter<ForwardEvents> implements SiprecForwarder {
  readonly #spool: Spool;
  readonly #log: Logger;
  readonly #catalog: ForwardCatalog;
  readonly #store: ProgressStore;
  readonly #calls: CallEntries;
  readonly #targets: TargetRegistry;
  readonly #runner: ForwardRunner;
  #closed = false;

  constructor(options: SiprecForwarderOptions) {
    super();
    const clock = options.clock ?? systemClock;
    this.#spool = options.spool;
    this.#log = options.logger ?? silentLogger;
    this.#catalog = new ForwardCatalog(options.sinks);
    this.#store = new ProgressStore(options.spool);
    this.#calls = new CallEntries(options.spool);
    const backoff = options.backoff ?? { initialMs: 5_000, maxMs: 300_000 };
    this.#runner = new ForwardRunner({
      env: {
        sip: options.sip,
        spool: options.spool,
        ports: options.ports,
        mediaAddress: options.mediaAddress,
        advertiseAddress: options.advertiseAddress,
        applianceId: options.applianceId,
        version: options.version,
        clock,
        logger: this.#log,
      },
      spool: options.spool,
      store: this.#store,
      calls: this.#calls,
      events: this,
      clock,
      logger: this.#log,
      retryMs: backoff.initialMs,
      checkpointMs: options.checkpointMs ?? 1_000,
    });
    this.#targets = new TargetRegistry({
      sip: options.sip,
      resolver: options.resolver,
      clock,
      logger: this.#log,
      backoff,
      onAvailable: (targets) => this.#runner.available(targets),
    });
    this.#targets.watch(this.#catalog);
  }

  callStarted(call: CallRecord): void {
    this.#calls.announced(call);
  }

  callUpdated(call: CallRecord): void {
    const entry = this.#calls.get(call.callId);
    if (entry) entry.call = call;
  }

  streamStarted(call: CallRecord, stream: StreamRecord): void {
    const entry = this.#calls.announced(call);
    entry.call = call;
    if (!entry.streams.some((s) => s.streamId === stream.streamId)) entry.streams.push(stream);
    for (const forward of entry.forwards.values()) {
      if (!forward.live && forward.liveAttempts === 0) this.#runner.advance(forward);
    }
  }

  frame(frame: FrameRecord): void {
    this.#runner.frame(frame);
  }

  streamEnded(stream: StreamRecord, _reason: StreamEndReason): void {
    this.#calls.get(stream.callId)?.endedStreams.add(stream.streamId);
    this.#runner.streamEnded(stream);
  }

  callEnded(call: CallRecord): void {
    const entry = this.#calls.get(call.callId);
    if (!entry) return;
    entry.call = call;
    for (const stream of entry.streams) {
      if (!entry.endedStreams.has(stream.streamId)) this.streamEnded(stream, "bye");
    }
    entry.ended = true;
    for (const forward of entry.forwards.values()) this.#runner.advance(forward);
    this.#calls.forgetIfDone(entry);
  }

  route(callId: string, choices: ForwardChoice[]): void {
    if (choices.length === 0) return;
    const entry = this.#calls.routable(callId);
    const chosen = new Set<string>();
    const resolved = choices.map((choice) => {
      if (chosen.has(choice.sink) || entry.forwards.has(choice.sink)) {
        throw new SiprecForwardError(
          "SIPREC_FORWARD_ALREADY_STARTED",
          `SIPREC sink ${choice.sink} is already chosen for call ${callId}`,
        );
      }
      chosen.add(choice.sink);
      return [choice, this.#catalog.resolve(choice)] as const;
    });
    for (const [choice] of resolved) this.#store.saveRoute(callId, choice, false);
    this.#calls.syncStreams(entry);
    for (const [choice, forward] of resolved) this.#add(entry, choice, forward, []);
  }

  start(callId: string, choice: ForwardChoice): void {
    const entry = this.#calls.get(callId);
    if (!entry) throw new SiprecForwardError("SIPREC_FORWARD_UNKNOWN_CALL", `call ${callId} is not known`);
    if (entry.ended) throw new SiprecForwardError("SIPREC_FORWARD_NOT_LIVE", `call ${callId} has ended`);
    const existing = entry.forwards.get(choice.sink);
    if (existing && !existing.done) {
      throw new SiprecForwardError(
        "SIPREC_FORWARD_ALREADY_STARTED",
        `SIPREC sink ${choice.sink} is already forwarding call ${callId}`,
      );
    }
    const resolved = this.#catalog.resolve(choice);
    this.#store.saveRoute(callId, choice, false);
    this.#calls.syncStreams(entry);
    if (!existing) {
      this.#add(entry, choice, resolved, []);
      return;
    }
    // Started again after a stop: what it missed in between is not owed; live audio goes on from the edge.
    const restarted = new SinkForward(entry, choice, resolved, this.#targets.of(resolved), [
      ...existing.segments,
    ]);
    for (const stream of entry.streams) {
      this.#runner.save(restarted, restarted.waive(stream.streamId, this.#spool.lastIdx(stream.streamId)));
    }
    restarted.liveAttempts = 1;
    entry.forwards.set(choice.sink, restarted);
    this.#runner.track(restarted);
  }

  stop(callId: string, sink: string): void {
    const forward = this.#calls.get(callId)?.forwards.get(sink);
    if (!forward) {
      const stored = this.#store.route(callId, sink);
      if (!stored || stored.done) throw notStarted(callId, sink);
      this.#store.saveRoute(callId, stored.choice, true);
      this.safeEmit("stopped", { ...this.#bareInfo(callId, stored.choice), reason: "stopped" });
      return;
    }
    if (forward.done) throw notStarted(callId, sink);
    this.#store.saveRoute(callId, forward.choice, true);
    const sessions = forward.sessions();
    this.#runner.markDone(forward);
    if (sessions.length === 0) this.safeEmit("stopped", { ...this.#infoOf(forward), reason: "stopped" });
    for (const session of sessions) void session.stop("stopped");
    this.#log.info("SIPREC forward stopped", { callId, sink });
    this.#calls.forgetIfDone(forward.entry);
  }

  recordingPaused(callId: string, paused: boolean): void {
    const entry = this.#calls.get(callId);
    if (!entry || entry.paused === paused) return;
    entry.paused = paused;
    for (const forward of entry.forwards.values()) forward.live?.setPaused(paused);
  }

  forwards(callId: string): ForwardStatus[] {
    const entry = this.#calls.get(callId);
    if (entry) return [...entry.forwards.values()].map((f) => forwardStatus(f, this.#spool));
    return (
      this.#calls.finished(callId) ??
      this.#store
        .routes({ callId })
        .map((route) => storedStatus(route, this.#spool, this.#store, this.#uriOf(route.choice)))
    );
  }

  isDelivered(callId: string): boolean {
    const call = this.#spool.getCall(callId);
    if (!call) return true;
    if (call.state === "live") return false;
    return this.#store.routes({ callId }).every((route) => route.done || !this.#resolvable(route.choice));
  }

  recover(): void {
    if (this.#closed) return;
    const byCall = new Map<string, ForwardChoice[]>();
    for (const route of this.#store.routes({ done: false })) {
      if (this.#calls.has(route.callId)) continue;
      byCall.set(route.callId, [...(byCall.get(route.callId) ?? []), route.choice]);
    }
    const calls = [...byCall.keys()]
      .map((callId) => this.#spool.getCall(callId))
      .filter((call): call is CallRecord => call !== undefined && call.state !== "live")
      .sort((a, b) => a.startedUs - b.startedUs);
    if (calls.length > 0)
      this.#log.info("replaying what the spool owes SIPREC sinks", { calls: calls.length });
    let next = 0;
    const batch = (): void => {
      if (this.#closed) return;
      for (const end = Math.min(calls.length, next + RECOVER_BATCH); next < end; next++) {
        const call = calls[next] as CallRecord;
        this.#recoverCall(call, byCall.get(call.callId) ?? []);
      }
      if (next < calls.length) setImmediate(batch);
    };
    batch();
  }

  reconfigure(sinks: SiprecSinkConfig[]): void {
    this.#catalog.reconfigure(sinks);
    this.#targets.watch(this.#catalog);
    this.#log.info("SIPREC sinks reconfigured", { sinks: sinks.map((s) => s.name) });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#runner.close();
    this.#targets.close();
  }

  #add(entry: CallEntry, choice: ForwardChoice, resolved: ResolvedForward, segments: Segment[]): void {
    const forward = new SinkForward(entry, choice, resolved, this.#targets.of(resolved), segments);
    entry.forwards.set(choice.sink, forward);
    this.#log.info("call forwarded to a SIPREC sink", {
      callId: entry.call.callId,
      sink: choice.sink,
      uri: resolved.uri,
    });
    this.#runner.track(forward);
  }

  #recoverCall(call: CallRecord, choices: readonly ForwardChoice[]): void {
    const entry = this.#calls.ended(call);
    for (const choice of choices) {
      let resolved: ResolvedForward;
      try {
        resolved = this.#catalog.resolve(choice);
      } catch (err) {
        this.#log.warn("a SIPREC sink the call was routed to is gone: not replayed", {
          code: errorCode(err),
          callId: call.callId,
          sink: choice.sink,
          error: errorMessage(err),
        });
        continue;
      }
      const segments = this.#store.segments(call.callId, choice.sink);
      const forward = new SinkForward(entry, choice, resolved, this.#targets.of(resolved), segments);
      entry.forwards.set(choice.sink, forward);
    }
    if (entry.forwards.size === 0) return;
    this.#calls.follow(entry);
    for (const forward of entry.forwards.values()) this.#runner.track(forward);
  }

  #resolvable(choice: ForwardChoice): boolean {
    try {
      this.#catalog.resolve(choice);
      return true;
    } catch {
      return false;
    }
  }

  #uriOf(choice: ForwardChoice): string {
    return choice.uri ?? this.#catalog.sinks.find((s) => s.name === choice.sink)?.uri ?? "";
  }

  #infoOf(forward: SinkForward): ForwardInfo {
    const { call } = forward.entry;
    return forward.last?.info() ?? this.#bareInfo(call.callId, forward.choice, forward.forward.uri);
  }

  #bareInfo(callId: string, choice: ForwardChoice, uri = this.#uriOf(choice)): ForwardInfo {
    return {
      sink: choice.sink,
      callId,
      uri,
      target: "",
      sipCallId: "",
      ...(choice.reference ? { reference: choice.reference } : {}),
    };
  }
}

function notStarted(callId: string, sink: string): SiprecForwardError {
  return new SiprecForwardError(
    "SIPREC_FORWARD_NOT_STARTED",
    `call ${callId} is not forwarded to SIPREC sink ${sink}`,
  );
}
