import {
  EaspCloseCode,
  microsFromIso,
  type OpenedMessage,
  REPLAY_THRESHOLD_MS,
  type ServerMessage,
} from "../easp/index.ts";
import { errorMessage, type Logger, type TimerHandle } from "../lib/index.ts";
import type { CallRecord } from "../spool/index.ts";
import { type ConnectionHandler, EaspConnection } from "./easp-connection.ts";
import type { EaspUnitOptions } from "./easp-unit-types.ts";
import type { ItemSource } from "./item-source.ts";
import { buildOpenMessage, easpHeaders } from "./open-message.ts";
import { closeAction, openedVerdict } from "./session-policy.ts";
import { SessionSender, WAIT_FOR_COMMIT } from "./session-sender.ts";
import type { SinkUnitState, SinkUnitStatus } from "./sink-types.ts";
import { loadPausedSpans, type PausedSpanKey, storePausedSpan } from "./withheld-audio.ts";

/**
 * One EASP/1 session of one output of a call on one sink (EASP.md §2–7): dials when the sink's
 * circuit breaker allows, `open` → `opened{nextSeq}` (the receiver is authoritative: a resume, a
 * lost ack, a regression it can be served from the spool, or one that needs a continuation segment
 * with a DISCARDED gap), sends items from there ({@link SessionSender}), stores cumulative `ack`s in
 * the spool cursor, `close{end}` → `closed` → done. A lost connection is handled by its close code
 * (EASP.md §7): resume with backoff, `retryAfterMs`, a halved batch, quarantine, or stopping the sink.
 */
export class EaspUnit implements ConnectionHandler {
  /** Call delivered. */
  readonly callId: string;
  /** Cursor unit (`call`, the stream id, or `<base>#<segment>`). */
  readonly unitKey: string;
  /** The unit of segment 0 (`call` or the stream id). */
  readonly baseKey: string;
  /** EASP `segment` of this session. */
  readonly segment: number;
  /** EASP session id (UUIDv7), kept across reconnects. */
  readonly sessionId: string;
  /** The session's items. */
  readonly source: ItemSource;
  /** Set by the dispatcher while the unit waits in its flush list. */
  dirty = false;
  readonly #o: EaspUnitOptions;
  readonly #log: Logger;
  readonly #thresholdMs: number;
  readonly #out: SessionSender;
  #call: CallRecord;
  #state: SinkUnitState = "connecting";
  /** Current connection. */
  #conn: EaspConnection | undefined;
  /** A problem was reported on the current connection (kept as the last error when it closes). */
  #connProblem = false;
  /** Connecting began (first frame or end seen, and released). */
  #started = false;
  /** Held back until the dispatcher releases it (recovery concurrency). */
  #held: boolean;
  /** `shutdown()` was called: never reconnect. */
  #stopped = false;
  #ackedSeq: number;
  #reconnects = 0;
  #lastError = "";
  /** An `opened` was received once: later opens are resumes. */
  #everOpened = false;
  /** The current connection got `opened`. */
  #opened = false;
  /** Consecutive closes with 4000. */
  #protocolErrors = 0;
  /** Sending a backlog older than the replay threshold since `opened`: reports `replaying` until caught up. */
  #behind = false;
  /** Reconnect or shutdown-grace timer. */
  #timer: TimerHandle | undefined;
  /** Pump retry (socket draining, commit, pace). */
  #wakeTimer: TimerHandle | undefined;
  /** Resolves a pending `shutdown()` once everything sent is acknowledged. */
  #onShutdownSettled: (() => void) | undefined;

  constructor(options: EaspUnitOptions) {
    this.#o = options;
    this.callId = options.call.callId;
    this.unitKey = options.unitKey;
    this.baseKey = options.baseKey;
    this.segment = options.origin.segment;
    this.sessionId = options.sessionId;
    this.source = options.source;
    this.#call = options.call;
    this.#ackedSeq = options.ackedSeq;
    this.#held = options.held;
    this.#thresholdMs = options.config.replay?.thresholdMs ?? REPLAY_THRESHOLD_MS;
    this.#out = new SessionSender({
      scratch: options.scratch,
      source: options.source,
      ackedSeq: options.ackedSeq,
      clock: options.clock,
      replayThresholdMs: this.#thresholdMs,
      configuredMaxRate: options.config.replay?.maxRate ?? 0,
      pausedSpans: loadPausedSpans(options.spool, this.#spanKey()),
    });
    this.#log = options.logger.child({ sink: options.config.name, callId: this.callId, unit: this.unitKey });
  }

  /** Connection state. */
  get state(): SinkUnitState {
    return this.#state;
  }

  /** Whether the unit waits for {@link release} (recovery queue). */
  get held(): boolean {
    return this.#held;
  }

  /** Keeps the call record current (participants, metadata) for the next `open`. */
  updateCall(call: CallRecord): void {
    this.#call = call;
  }

  /** Lets a held unit connect. */
  release(): void {
    this.#held = false;
    this.startIfReady();
  }

  /** Connects once the source has something to deliver; safe to call on every frame. */
  startIfReady(): void {
    if (this.#started || this.#held || this.#stopped || this.#isFinal() || !this.source.hasContent()) return;
    this.#started = true;
    this.#dial();
  }

  /** A snapshot for status, events and the page. */
  status(): SinkUnitStatus {
    return {
      sink: this.#o.config.name,
      callId: this.callId,
      unit: this.unitKey,
      sessionId: this.sessionId,
      segment: this.segment,
      state: this.#state,
      sentSeq: this.#out.sentSeq,
      ackedSeq: this.#ackedSeq,
      reconnects: this.#reconnects,
      lastError: this.#lastError,
      backlogMs: this.#state === "done" ? 0 : Math.round(this.source.backlogMs(this.#ackedSeq)),
    };
  }

  /** Sends every item that is ready, within the window, flow control, high-water mark and pace. */
  pump(): void {
    const conn = this.#conn;
    if (!this.#opened || !conn || this.#isFinal()) return;
    const wakeMs = this.#out.pump(conn.ws, this.#ackedSeq);
    if (wakeMs === WAIT_FOR_COMMIT) this.#o.listener.waitForCommit(this);
    else if (wakeMs > 0 && this.#wakeTimer === undefined) {
      this.#wakeTimer = this.#o.clock.setTimeout(this.#onWake, wakeMs);
    }
  }

  /** Stops for good (sink rejected, quarantine): closes the socket, keeps the cursor and the spool. */
  fail(code: string, message: string): void {
    if (this.#isFinal()) return;
    this.#lastError = `${code}: ${message}`;
    this.#halt("failed");
    this.#log.error("sink unit stopped", { code, alarm: true, reason: message });
    this.#o.listener.failed(this);
  }

  /** Replaced by a continuation segment (ack regression with loss): nothing more goes out on this session. */
  supersede(bySessionId: string): void {
    this.#lastError = `superseded by session ${bySessionId}: the receiver lost audio the spool no longer has`;
    this.#halt("done");
    this.#saveCursor(true);
  }

  /** Stops reconnecting; if connected, waits (≤ `graceMs`) for sent items to be acknowledged, then closes. */
  shutdown(graceMs: number): Promise<void> {
    this.#stopped = true;
    this.#clearTimers();
    this.#o.breaker.cancel(this.#onBreakerWake);
    this.source.dispose();
    const conn = this.#conn;
    if (conn && !this.#opened) this.#o.breaker.abandoned();
    if (!this.#isFinal()) this.#state = "closing";
    if (!conn || !this.#opened) {
      this.#conn = undefined;
      conn?.detach(EaspCloseCode.GoingAway, "shutdown");
      return Promise.resolve();
    }
    this.pump();
    return new Promise<void>((resolve) => {
      const settle = (): void => {
        this.#o.clock.clearTimer(this.#timer);
        this.#onShutdownSettled = undefined;
        if (this.#conn === conn) this.#conn = undefined;
        conn.detach(EaspCloseCode.GoingAway, "shutdown");
        resolve();
      };
      if (this.#ackedSeq >= this.#out.sentSeq) {
        settle();
        return;
      }
      this.#onShutdownSettled = settle;
      conn.send({ type: "sync", v: 1 });
      this.#timer = this.#o.clock.setTimeout(settle, graceMs);
    });
  }

  /** The socket is up with `easp.v1`: sends `open` (a resume after the first `opened`). */
  ready(): void {
    const call = this.#o.spool.getCall(this.callId) ?? this.#call;
    this.#conn?.send(
      buildOpenMessage({
        sessionId: this.sessionId,
        resume: this.#everOpened || this.#ackedSeq > 0,
        nextSeq: this.#ackedSeq + 1,
        segment: this.segment,
        continuationOf: this.#o.origin.continuationOf,
        call,
        mode: this.#o.config.mode,
        streams: this.source.streamDescs(),
        epochUs: call.epochUs || this.source.epochHintUs(),
        applianceId: this.#o.applianceId,
        version: this.#o.version,
      }),
    );
  }

  /** A server message of the current connection (EASP.md §4, server → client). */
  message(message: ServerMessage): void {
    switch (message.type) {
      case "opened":
        this.#onOpened(message);
        break;
      case "ack":
        this.#onAck(message.seq);
        break;
      case "closed":
        this.#onClosed(message.finalSeq);
        break;
      case "flow":
        this.#out.flow(message.pause, message.window);
        this.#o.listener.dirty(this);
        break;
      case "pause":
        if (this.#opened) this.#out.pause();
        break;
      case "resume":
        if (this.#opened) this.#onResume(message.from);
        break;
      case "error":
        this.#lastError = `receiver error ${message.code}: ${message.message}`;
        this.#log.warn("receiver reported an error", { code: "SINK_REMOTE_ERROR", error: this.#lastError });
        break;
      default:
        break;
    }
  }

  /** Something went wrong on the connection: kept as the unit's last error. */
  problem(text: string): void {
    this.#lastError = text;
    this.#connProblem = true;
    this.#log.warn("sink connection problem", { code: "SINK_PROTOCOL", error: text });
  }

  /** The connection closed: done, retry, quarantine or stop the sink by the close code (EASP.md §7). */
  closed(code: number, reason: string): void {
    const conn = this.#conn;
    this.#conn = undefined;
    this.#out.stop();
    if (this.#stopped) {
      this.#onShutdownSettled?.();
      return;
    }
    const wasOpen = this.#opened;
    this.#opened = false;
    this.#clearTimers();
    if (this.#isFinal() || !conn) return;
    if (!wasOpen) this.#o.breaker.failed();
    const why = `closed ${code}${reason ? ` ${reason}` : ""}`;
    if (code === EaspCloseCode.ProtocolError) this.#protocolErrors += 1;
    const error = conn.error;
    const action = closeAction({
      code,
      errorCode: error.code,
      fatal: error.fatal,
      protocolErrors: this.#protocolErrors,
    });
    if (action.kind === "done") {
      this.#finish(`receiver says the session is finalized (${why})`);
      return;
    }
    if (error.code === undefined && !this.#connProblem) this.#lastError = why;
    if (wasOpen) this.#o.listener.disconnected(this, why);
    if (action.kind === "stop-sink") {
      this.#o.listener.rejectSink(this, action.alarm, `${this.#lastError} (${why})`);
    } else if (action.kind === "quarantine") {
      this.#o.listener.alarm(this, action.alarm, `${this.#lastError} (${why})`);
      this.fail(action.alarm, why);
    } else {
      if (action.halveBatch) this.#out.halveBatch();
      this.#state = "backoff";
      this.#reconnects += 1;
      const delay = this.#o.reconnect.closed(this.#o.clock.now(), error.retryAfterMs);
      this.#log.debug("sink unit reconnecting", { reason: why, delayMs: delay });
      this.#timer = this.#o.clock.setTimeout(this.#reconnect, delay);
    }
  }

  /** Dials if the sink's circuit breaker allows it; otherwise waits in `circuit-open`. */
  #dial(): void {
    this.#timer = undefined;
    if (this.#stopped || this.#isFinal()) return;
    if (this.#o.breaker.request(this.#onBreakerWake)) this.#connect();
    else this.#state = "circuit-open";
  }

  readonly #onBreakerWake = (): void => {
    if (!this.#stopped && this.#state === "circuit-open") this.#connect();
  };

  readonly #reconnect = (): void => this.#dial();

  #connect(): void {
    this.#state = "connecting";
    this.#opened = false;
    this.#connProblem = false;
    const headers = easpHeaders(this.#o.config.headers, this.#o.applianceId, this.sessionId, this.callId);
    try {
      this.#conn = new EaspConnection(this.#o.config.url, headers, this.#o.clock, this);
    } catch (err) {
      this.fail("SINK_CONFIG", `connect: ${errorMessage(err)}`);
    }
  }

  #onOpened(opened: OpenedMessage): void {
    const conn = this.#conn;
    if (this.#state !== "connecting" || this.#opened || !conn) return;
    const now = this.#o.clock.now();
    this.#o.breaker.succeeded();
    this.#o.reconnect.opened(now);
    const lastAvailable = this.source.lastAvailableSeq();
    const verdict = openedVerdict(opened.nextSeq, lastAvailable, this.#ackedSeq, () =>
      this.source.firstRetainedSeq(),
    );
    const fields = { nextSeq: opened.nextSeq, lastAvailable, ackedSeq: this.#ackedSeq };
    if (verdict === "ahead") {
      const message = `receiver asked for seq ${opened.nextSeq}, only ${lastAvailable} exist`;
      this.problem(`SINK_PROTOCOL: ${message}`);
      this.#o.listener.alarm(this, "SINK_RECEIVER_AHEAD", message);
      conn.send({ type: "error", v: 1, code: EaspCloseCode.ProtocolError, message });
      conn.close(EaspCloseCode.ProtocolError, "nextSeq beyond the session");
      return;
    }
    if (verdict === "lost") {
      const message = `receiver lost items up to seq ${this.#ackedSeq}; the spool holds seq ${this.source.firstRetainedSeq()} on`;
      this.#log.error("ack regression: audio lost", { code: "SINK_ACK_REGRESSION", alarm: true, ...fields });
      this.#o.listener.alarm(this, "SINK_ACK_REGRESSION", message);
      conn.send({ type: "close", v: 1, reason: "error", finalSeq: opened.nextSeq - 1 });
      this.#o.listener.supersede(this);
      return;
    }
    if (verdict === "regressed") {
      this.#log.warn("receiver lost acknowledged items: sending them again", {
        code: "SINK_ACK_REGRESSION",
        ...fields,
      });
    }
    if (this.#ackedSeq !== opened.nextSeq - 1) {
      // The receiver is authoritative (EASP.md §5): a lost ack counts as an ack, a regression re-opens what it lost.
      this.#ackedSeq = opened.nextSeq - 1;
      this.#saveCursor(false);
    }
    const ackIntervalMs = Math.min(Math.max(opened.ackIntervalMs, 50), 5_000);
    if (opened.discardBefore !== undefined && Number.isNaN(microsFromIso(opened.discardBefore))) {
      this.#log.warn("receiver sent an unreadable discardBefore: ignored", {
        code: "SINK_PROTOCOL",
        discardBefore: opened.discardBefore,
      });
    }
    conn.opened(now, ackIntervalMs, () => this.#out.sentSeq > this.#ackedSeq);
    this.#out.open(conn.ws, opened);
    this.#everOpened = true;
    this.#opened = true;
    this.#behind = this.#isBehind(opened.nextSeq);
    this.#state = this.#behind ? "replaying" : "open";
    this.#log.info("sink unit connected", {
      sessionId: this.sessionId,
      nextSeq: opened.nextSeq,
      behind: this.#behind,
    });
    if (this.#behind && this.source.isLive() && this.#o.config.replay?.strategy === "live-first") {
      this.#o.listener.cutSegment(this);
    }
    this.#o.listener.connected(this);
    this.pump();
  }

  /**
   * Receiver `resume` (EASP.md §4, §6). `from:"now"`: the span that became available while paused
   * is stored in the spool before any of it is sent, then goes out as GAP PAUSED_RECEIVER records
   * (on this and every later connection: the receiver acknowledges those seqs as gaps, so they must
   * never come back as audio). `from:"paused"` (or none): the span is delivered from the spool.
   */
  #onResume(from: "now" | "paused" | undefined): void {
    const span = this.#out.resume(from);
    if (span && span.to > span.from) {
      storePausedSpan(this.#o.spool, this.#spanKey(), this.#out.pausedSpans().length, span);
      this.#out.skip(span);
      this.#log.info("receiver skipped the paused span", { fromSeq: span.from, toSeq: span.to });
    }
    this.#o.listener.dirty(this);
  }

  /** Where this session's paused spans are stored (next to its cursor). */
  #spanKey(): PausedSpanKey {
    return { callId: this.callId, sink: this.#o.config.name, unit: this.unitKey, sessionId: this.sessionId };
  }

  #onAck(seq: number): void {
    if (seq <= this.#ackedSeq) {
      this.#out.acked(this.#ackedSeq);
      return;
    }
    const acked = Math.min(seq, this.#out.sentSeq);
    this.#ackedSeq = acked;
    const now = this.#o.clock.now();
    this.#conn?.acked(now);
    this.#o.reconnect.acked(now);
    this.#protocolErrors = 0;
    this.#saveCursor(false);
    this.#out.acked(acked);
    if (this.#behind) this.#checkCaughtUp();
    if (this.#onShutdownSettled && acked >= this.#out.sentSeq) this.#onShutdownSettled();
    else this.#o.listener.dirty(this);
  }

  /** Whether item `seq` (the next to send or to be acknowledged) was captured longer ago than the replay threshold. */
  #isBehind(seq: number): boolean {
    const captureUs = this.source.captureUsOf(seq);
    return captureUs !== undefined && captureUs < this.#o.clock.wallUs() - this.#thresholdMs * 1000;
  }

  /** A unit that was behind has caught up once nothing older than the replay threshold awaits an ack. */
  #checkCaughtUp(): void {
    if (this.#isBehind(this.#ackedSeq + 1)) return;
    this.#behind = false;
    if (this.#state === "replaying") this.#state = "open";
    this.#o.listener.caughtUp(this);
  }

  #onClosed(finalSeq: number): void {
    const ours = this.source.finalSeq();
    if (ours === 0 || finalSeq < ours) return;
    this.#ackedSeq = Math.max(this.#ackedSeq, ours);
    if (this.#behind) this.#checkCaughtUp();
    this.#finish("receiver confirmed every item");
  }

  #finish(why: string): void {
    this.#halt("done");
    this.#saveCursor(true);
    this.#log.info("sink unit delivered", { sessionId: this.sessionId, finalSeq: this.#ackedSeq, why });
    this.#o.listener.done(this);
  }

  readonly #onWake = (): void => {
    this.#wakeTimer = undefined;
    this.#o.listener.dirty(this);
  };

  /** Whether the unit is finished for good (`done` or `failed`). */
  #isFinal(): boolean {
    return this.#state === "done" || this.#state === "failed";
  }

  /** Enters a final state: no timers, no socket, no reconnect. */
  #halt(state: "done" | "failed"): void {
    this.#clearTimers();
    this.#o.breaker.cancel(this.#onBreakerWake);
    if (this.#conn && !this.#opened) this.#o.breaker.abandoned();
    this.source.dispose();
    this.#state = state;
    const conn = this.#conn;
    this.#conn = undefined;
    this.#opened = false;
    this.#out.stop();
    conn?.detach(EaspCloseCode.Normal, state);
  }

  #saveCursor(done: boolean): void {
    this.#o.spool.saveCursor({
      callId: this.callId,
      sink: this.#o.config.name,
      unit: this.unitKey,
      sessionId: this.sessionId,
      ackedSeq: this.#ackedSeq,
      done,
    });
  }

  #clearTimers(): void {
    this.#o.clock.clearTimer(this.#timer);
    this.#o.clock.clearTimer(this.#wakeTimer);
    this.#timer = undefined;
    this.#wakeTimer = undefined;
  }
}
