import {
  type Clock,
  errorCode,
  errorMessage,
  type Logger,
  type TimerHandle,
  type TypedEmitter,
} from "../../lib/index.ts";
import type { FrameRecord, Spool, StreamRecord } from "../../spool/index.ts";
import type { CallEntries } from "./call-entries.ts";
import { ForwardSession } from "./forward-session.ts";
import type { ForwardEvents, ForwardStopReason } from "./forward-types.ts";
import type { ProgressStore, Segment } from "./progress.ts";
import { ReplayGate } from "./replay-gate.ts";
import type { SessionEnv, SessionListener } from "./session-types.ts";
import { replaySpan, type SinkForward } from "./sink-forward.ts";
import type { SinkTargets } from "./sink-targets.ts";
import type { StreamFeed } from "./stream-feed.ts";

/** How long `close()` waits for the BYEs of running sessions to be answered, ms. */
const SHUTDOWN_GRACE_MS = 2_000;

/** What {@link ForwardRunner} works with. */
export interface ForwardRunnerOptions {
  env: SessionEnv;
  spool: Spool;
  store: ProgressStore;
  calls: CallEntries;
  /** Where `started` / `failed` / `stopped` go. */
  events: TypedEmitter<ForwardEvents>;
  clock: Clock;
  logger: Logger;
  /** Delay before a forward whose failure took no target down is tried again, ms. */
  retryMs: number;
  /** Interval of progress checkpoints, ms. */
  checkpointMs: number;
}

/**
 * Runs the sessions of every (call, sink) forward: `advance` starts what a forward can do now (its
 * live session, a replay of what it owes, through its sink's {@link ReplayGate}) and marks it done when
 * nothing is owed; sessions report back as {@link SessionListener} (segments stored, events emitted);
 * targets coming back (`available`) advance every forward owing there; running sessions' progress is
 * stored every `checkpointMs`.
 */
export class ForwardRunner implements SessionListener {
  readonly #o: ForwardRunnerOptions;
  readonly #gate: ReplayGate;
  /** Feeds of live sessions by stream id: where `frame()` goes. */
  readonly #liveFeeds = new Map<number, StreamFeed[]>();
  readonly #owner = new Map<ForwardSession, SinkForward>();
  /** Forwards that are not done, oldest first. */
  readonly #owing = new Set<SinkForward>();
  readonly #retries = new Map<SinkForward, TimerHandle>();
  #checkpoint: TimerHandle | undefined;
  #closed = false;

  constructor(options: ForwardRunnerOptions) {
    this.#o = options;
    this.#gate = new ReplayGate((forward) => this.#startReplay(forward));
  }

  /** Follows a new forward (it owes the call until done) and advances it. */
  track(forward: SinkForward): void {
    this.#owing.add(forward);
    this.advance(forward);
  }

  /** A frame appended to the spool (hot path): to the live sessions of its stream. */
  frame(frame: FrameRecord): void {
    const feeds = this.#liveFeeds.get(frame.streamId);
    if (feeds === undefined) return;
    for (const feed of feeds) feed.live(frame);
  }

  /** A stream ended: live sessions send up to its last frame. */
  streamEnded(stream: StreamRecord): void {
    const feeds = this.#liveFeeds.get(stream.streamId);
    if (!feeds) return;
    this.#liveFeeds.delete(stream.streamId);
    const last = this.#o.spool.lastIdx(stream.streamId);
    for (const feed of feeds) feed.endAt(last);
  }

  /** A target of `targets` may take sessions again: advance every forward that owes audio there. */
  available(targets: SinkTargets): void {
    for (const forward of [...this.#owing]) if (forward.targets === targets) this.advance(forward);
  }

  /** Ends every session with BYE (`shutdown`), waiting up to 2 s for the answers; nothing starts afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#o.clock.clearTimer(this.#checkpoint);
    for (const timer of this.#retries.values()) this.#o.clock.clearTimer(timer);
    this.#retries.clear();
    this.#gate.clear();
    const stops = [...this.#owner.keys()].map((session) => session.stop("shutdown"));
    let grace: TimerHandle | undefined;
    await Promise.race([
      Promise.all(stops),
      new Promise<void>((resolve) => {
        grace = this.#o.clock.setTimeout(resolve, SHUTDOWN_GRACE_MS);
      }),
    ]);
    this.#o.clock.clearTimer(grace);
  }

  sessionStarted(session: ForwardSession): void {
    const forward = this.#owner.get(session);
    if (!forward) return;
    forward.lastError = "";
    for (const segment of forward.openSegments(session)) this.save(forward, segment);
    this.#checkpoint ??= this.#o.clock.setInterval(this.#onCheckpoint, this.#o.checkpointMs);
    this.#o.events.safeEmit("started", session.info());
  }

  sessionFailed(session: ForwardSession, status: number, reason: string): void {
    const forward = this.#detach(session);
    if (!forward) return;
    forward.lastError = reason;
    this.#o.logger.warn("SIPREC forward failed; the audio stays owed", {
      code: "SIPREC_FORWARD_FAILED",
      sink: forward.sink,
      callId: forward.entry.call.callId,
      status,
      reason,
    });
    this.#o.events.safeEmit("failed", { ...session.info(), status, reason });
    // A failure that took no target down (no RTP port, DNS trouble with targets known) is retried later.
    if (!forward.done && forward.targets.mayTry) this.#retryLater(forward);
    this.#o.calls.forgetIfDone(forward.entry);
  }

  sessionEnded(session: ForwardSession, reason: ForwardStopReason): void {
    const forward = this.#detach(session);
    if (!forward) return;
    for (const segment of forward.advanceSegments(session, true)) this.save(forward, segment);
    this.#o.events.safeEmit("stopped", { ...session.info(), reason });
    if (reason === "remote-bye" && !forward.done) {
      this.#o.logger.info("the SRS ended the forward session: nothing more is sent to it for this call", {
        sink: forward.sink,
        callId: forward.entry.call.callId,
      });
      this.#saveRoute(forward, true);
      const others = forward.sessions();
      this.markDone(forward);
      for (const other of others) void other.stop("stopped");
    }
    if (reason !== "shutdown") this.advance(forward);
    this.#o.calls.forgetIfDone(forward.entry);
  }

  /** Starts what a forward can do now: its live session, a replay of owed audio; or marks it done. */
  advance(forward: SinkForward): void {
    if (this.#closed || forward.done) return;
    const { entry } = forward;
    // The first live attempt runs even when every target is down, so that `failed` says so at once.
    if (!entry.ended && !forward.live && (forward.liveAttempts === 0 || forward.targets.mayTry)) {
      this.#startLive(forward);
    }
    if (!forward.replay && forward.targets.mayTry && forward.owes(this.#o.spool)) this.#gate.request(forward);
    if (entry.ended && forward.sessions().length === 0 && !forward.queued && !forward.owes(this.#o.spool)) {
      this.#saveRoute(forward, true);
      this.markDone(forward);
      this.#o.calls.forgetIfDone(entry);
    }
  }

  #startLive(forward: SinkForward): void {
    const streams = forward.livePlan(this.#o.spool);
    if (streams.length === 0) return;
    const { entry } = forward;
    forward.liveAttempts++;
    const session = this.#run(forward, {
      kind: "live",
      call: entry.call,
      streams,
      forward: forward.forward,
      paused: entry.paused,
    });
    forward.live = session;
    for (const feed of session.feeds) {
      if (feed.end !== Number.POSITIVE_INFINITY) continue;
      const feeds = this.#liveFeeds.get(feed.stream.streamId);
      if (feeds) feeds.push(feed);
      else this.#liveFeeds.set(feed.stream.streamId, [feed]);
    }
  }

  /** Starts a replay of the first owed span of each stream; false when there is nothing to start now. */
  #startReplay(forward: SinkForward): boolean {
    if (this.#closed || forward.done || forward.replay || !forward.targets.mayTry) return false;
    const streams = forward.owedSpans(this.#o.spool);
    if (streams.length === 0) {
      this.advance(forward);
      return false;
    }
    const { call } = forward.entry;
    this.#o.logger.info("replaying owed audio to a SIPREC sink", {
      sink: forward.sink,
      callId: call.callId,
      spans: streams.map((s) => ({ streamId: s.stream.streamId, from: s.from, to: s.end })),
    });
    forward.replay = this.#run(forward, {
      kind: "replay",
      call,
      streams,
      forward: forward.forward,
      replay: replaySpan(this.#o.spool, call, streams),
      paused: false,
    });
    return true;
  }

  #run(forward: SinkForward, plan: ForwardSession["plan"]): ForwardSession {
    const session = new ForwardSession(plan, this.#o.env, forward.targets, this);
    this.#owner.set(session, forward);
    void session.run();
    return session;
  }

  /** Forgets a session that ended or failed; returns its forward. */
  #detach(session: ForwardSession): SinkForward | undefined {
    const forward = this.#owner.get(session);
    this.#owner.delete(session);
    for (const feed of session.feeds) {
      const feeds = this.#liveFeeds.get(feed.stream.streamId);
      if (!feeds) continue;
      const rest = feeds.filter((f) => f !== feed);
      if (rest.length > 0) this.#liveFeeds.set(feed.stream.streamId, rest);
      else this.#liveFeeds.delete(feed.stream.streamId);
    }
    if (!forward) return undefined;
    forward.last = session;
    if (forward.live === session) forward.live = undefined;
    if (forward.replay === session) {
      forward.replay = undefined;
      this.#gate.release(forward.sink);
    }
    return forward;
  }

  /** Marks a forward done: nothing more is started for it. */
  markDone(forward: SinkForward): void {
    forward.done = true;
    this.#owing.delete(forward);
    this.#gate.drop(forward);
    this.#o.clock.clearTimer(this.#retries.get(forward));
    this.#retries.delete(forward);
  }

  #retryLater(forward: SinkForward): void {
    if (this.#retries.has(forward)) return;
    const timer = this.#o.clock.setTimeout(() => {
      this.#retries.delete(forward);
      this.advance(forward);
    }, this.#o.retryMs);
    this.#retries.set(forward, timer);
  }

  readonly #onCheckpoint = (): void => {
    let running = false;
    for (const [session, forward] of this.#owner) {
      if (!session.established) continue;
      running = true;
      for (const segment of forward.advanceSegments(session, false)) this.save(forward, segment);
    }
    if (!running) {
      this.#o.clock.clearTimer(this.#checkpoint);
      this.#checkpoint = undefined;
    }
  };

  /** Stores a segment (a failure is logged: the session goes on). */
  save(forward: SinkForward, segment: Segment): void {
    try {
      this.#o.store.saveSegment(forward.entry.call.callId, forward.sink, segment);
    } catch (err) {
      this.#o.logger.error("cannot store SIPREC forward progress", {
        code: errorCode(err),
        error: errorMessage(err),
      });
    }
  }

  #saveRoute(forward: SinkForward, done: boolean): void {
    try {
      this.#o.store.saveRoute(forward.entry.call.callId, forward.choice, done);
    } catch (err) {
      this.#o.logger.error("cannot store a SIPREC forward's state", {
        code: errorCode(err),
        error: errorMessage(err),
      });
    }
  }
}
