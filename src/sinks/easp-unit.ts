import {
  DEFAULT_WINDOW,
  EASP_SUBPROTOCOL,
  EaspCloseCode,
  type OpenedMessage,
  parseServerMessage,
  type ServerMessage,
} from "../easp/index.ts";
import { errorMessage, type Logger, type TimerHandle } from "../lib/index.ts";
import type { CallRecord } from "../spool/index.ts";
import type { EaspUnitOptions } from "./easp-unit-types.ts";
import { type ItemSource, Render } from "./item-source.ts";
import { Liveness } from "./liveness.ts";
import { MessageBuilder } from "./message-builder.ts";
import { buildOpenMessage } from "./open-message.ts";
import { closeAction, resumePoint } from "./session-policy.ts";
import type { SinkUnitState, SinkUnitStatus } from "./sink-types.ts";

/** Stop pumping while the socket holds more than this many unsent bytes. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** Retry interval while above the high-water mark, ms (the client socket has no drain event). */
const DRAIN_RETRY_MS = 10;
/** How long a server gets to answer `open`, ms. */
const OPEN_TIMEOUT_MS = 10_000;
/** The backoff restarts from its minimum only after a connection stayed up this long and got an ack, ms. */
const HEALTHY_AFTER_MS = 10_000;

/**
 * One EASP/1 session over one WebSocket (EASP.md §2–5): connect with subprotocol `easp.v1`,
 * `open` → `opened{nextSeq}`, send items from there (coalesced into one binary message per pump,
 * within the window and the socket's high-water mark), store cumulative `ack`s in the spool
 * cursor, `close{end}` → `closed` → done. A lost connection goes to `backoff` and resumes with
 * `open{resume:true, nextSeq: acked+1}`; items are re-rendered from the spool as needed.
 */
export class EaspUnit {
  /** Call delivered. */
  readonly callId: string;
  /** `call` (interleaved) or the stream id (per-participant); the cursor's `unit`. */
  readonly unitKey: string;
  /** EASP session id (UUIDv7), kept across reconnects. */
  readonly sessionId: string;
  /** The session's items. */
  readonly source: ItemSource;
  /** Set by the dispatcher while the unit waits in its flush list. */
  dirty = false;
  readonly #o: EaspUnitOptions;
  readonly #log: Logger;
  /** Latest call record (for `open`). */
  #call: CallRecord;
  #state: SinkUnitState = "connecting";
  /** Current socket; handlers of older sockets are ignored. */
  #ws: WebSocket | undefined;
  /** Connecting began (first frame or end seen). */
  #started = false;
  /** `shutdown()` was called: never reconnect. */
  #stopped = false;
  /** Highest seq the receiver acknowledged (stored in the cursor). */
  #ackedSeq: number;
  #reconnects = 0;
  #lastError = "";
  /** An `opened` was received once: later opens are resumes. */
  #everOpened = false;
  /** Receiver's window of unacknowledged audio. */
  #window: { ms: number; bytes: number } = { ...DEFAULT_WINDOW };
  /** Receiver asked for no audio (`flow{pause}` / `pause`). */
  #paused = false;
  /** `close{end}` was sent on this connection. */
  #closeSent = false;
  /** Receiver's `retryAfterMs` for the next reconnect. */
  #retryAfterMs: number | undefined;
  /** Receiver's last `error` was fatal. */
  #fatal = false;
  /** Consecutive closes with 4000. */
  #protocolErrors = 0;
  /** Monotonic ms of the last `opened`. */
  #openedAt = 0;
  readonly #liveness = new Liveness();
  readonly #out: MessageBuilder;
  /** Reconnect, open-timeout, drain-retry or shutdown-grace timer (one at a time). */
  #timer: TimerHandle | undefined;
  /** Keep-alive ticker while open. */
  #ticker: TimerHandle | undefined;
  /** Resolves a pending `shutdown()` once everything sent is acknowledged. */
  #onShutdownSettled: (() => void) | undefined;

  constructor(options: EaspUnitOptions) {
    this.#o = options;
    this.callId = options.call.callId;
    this.unitKey = options.unitKey;
    this.sessionId = options.sessionId;
    this.source = options.source;
    this.#call = options.call;
    this.#ackedSeq = options.ackedSeq;
    this.#out = new MessageBuilder(options.scratch, options.source, options.ackedSeq);
    this.#log = options.logger.child({ sink: options.config.name, callId: this.callId, unit: this.unitKey });
  }

  /** Connection state. */
  get state(): SinkUnitState {
    return this.#state;
  }

  /** Keeps the call record current (participants, metadata) for the next `open`. */
  updateCall(call: CallRecord): void {
    this.#call = call;
  }

  /** Connects once the source has something to deliver; safe to call on every frame. */
  startIfReady(): void {
    if (this.#started || this.#stopped || !this.source.hasContent()) return;
    this.#started = true;
    this.#connect();
  }

  /** A snapshot for status, events and the page. */
  status(): SinkUnitStatus {
    return {
      sink: this.#o.config.name,
      callId: this.callId,
      unit: this.unitKey,
      sessionId: this.sessionId,
      state: this.#state,
      sentSeq: this.#out.sentSeq,
      ackedSeq: this.#ackedSeq,
      reconnects: this.#reconnects,
      lastError: this.#lastError,
    };
  }

  /** Sends every item that is ready, within the window and the high-water mark (one flush per call). */
  pump(): void {
    const ws = this.#ws;
    if (this.#state !== "open" || !ws || this.#paused) return;
    const out = this.#out;
    out.nowUs = this.#o.clock.wallUs();
    for (;;) {
      if (ws.bufferedAmount > HIGH_WATER_BYTES) {
        this.#schedule(this.#redirty, DRAIN_RETRY_MS);
        break;
      }
      if (out.windowFull(this.#window)) break;
      const result = this.source.next(out);
      if (result === Render.Full) out.flush();
      else if (result !== Render.Ready) break;
    }
    out.flush();
    const finalSeq = this.source.finalSeq();
    if (finalSeq > 0 && this.source.nextSeq > finalSeq && !this.#closeSent) {
      this.#closeSent = true;
      this.#sendJson({ type: "close", v: 1, reason: "end", finalSeq });
    }
  }

  /** Stops reconnecting; if connected, waits (≤ `graceMs`) for sent items to be acknowledged, then closes. */
  shutdown(graceMs: number): Promise<void> {
    this.#stopped = true;
    this.#clearTimers();
    this.source.dispose();
    const ws = this.#ws;
    if (!ws || this.#state !== "open") {
      this.#ws = undefined;
      ws?.close(EaspCloseCode.GoingAway, "shutdown");
      if (this.#state !== "done") this.#state = "closing";
      return Promise.resolve();
    }
    this.pump();
    this.#state = "closing";
    return new Promise<void>((resolve) => {
      const settle = (): void => {
        this.#o.clock.clearTimer(this.#timer);
        this.#onShutdownSettled = undefined;
        if (this.#ws === ws) this.#ws = undefined;
        ws.close(EaspCloseCode.GoingAway, "shutdown");
        resolve();
      };
      if (this.#ackedSeq >= this.#out.sentSeq) {
        settle();
        return;
      }
      this.#onShutdownSettled = settle;
      this.#sendJson({ type: "sync", v: 1 });
      this.#timer = this.#o.clock.setTimeout(settle, graceMs);
    });
  }

  #connect(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    this.#state = "connecting";
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.#o.config.url, {
        protocols: [EASP_SUBPROTOCOL],
        headers: easpHeaders(this.#o.config.headers, this.#o.applianceId, this.sessionId, this.callId),
      });
    } catch (err) {
      this.#lastError = `connect: ${errorMessage(err)}`;
      this.#log.error("sink connect failed", { code: "SINK_CONFIG", error: this.#lastError });
      this.#state = "failed";
      return;
    }
    ws.binaryType = "arraybuffer";
    this.#ws = ws;
    ws.onopen = () => {
      if (this.#ws === ws) this.#onSocketOpen(ws);
    };
    ws.onmessage = (event) => {
      if (this.#ws === ws) this.#onSocketMessage(event.data);
    };
    ws.onclose = (event) => {
      if (this.#ws === ws) this.#onSocketClose(event.code, event.reason);
    };
  }

  #onSocketOpen(ws: WebSocket): void {
    if (ws.protocol !== EASP_SUBPROTOCOL) {
      this.#lastError = `SINK_PROTOCOL: server selected subprotocol "${ws.protocol}", not ${EASP_SUBPROTOCOL}`;
      ws.close(EaspCloseCode.SubprotocolMismatch, "easp.v1 required");
      return;
    }
    const call = this.#o.spool.getCall(this.callId) ?? this.#call;
    const open = buildOpenMessage({
      sessionId: this.sessionId,
      resume: this.#everOpened || this.#ackedSeq > 0,
      nextSeq: this.#ackedSeq + 1,
      call,
      mode: this.#o.config.mode,
      streams: this.source.streamDescs(),
      epochUs: call.epochUs || this.source.epochHintUs(),
      applianceId: this.#o.applianceId,
      version: this.#o.version,
    });
    ws.send(JSON.stringify(open));
    this.#schedule(this.#onOpenTimeout, OPEN_TIMEOUT_MS);
  }

  #onSocketMessage(data: unknown): void {
    if (typeof data !== "string") return;
    let message: ServerMessage | null;
    try {
      message = parseServerMessage(data);
    } catch (err) {
      this.#lastError = `SINK_PROTOCOL: ${errorMessage(err)}`;
      this.#log.warn("bad message from receiver", { code: "SINK_PROTOCOL", error: errorMessage(err) });
      this.#sendJson({ type: "error", v: 1, code: EaspCloseCode.ProtocolError, message: errorMessage(err) });
      return;
    }
    this.#liveness.heard();
    if (message) this.#handle(message);
  }

  #handle(message: ServerMessage): void {
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
        if (message.window) this.#window = message.window;
        if (message.pause !== undefined) this.#paused = message.pause;
        this.#o.listener.dirty(this);
        break;
      case "pause":
      case "resume":
        this.#paused = message.type === "pause";
        this.#o.listener.dirty(this);
        break;
      case "error":
        this.#lastError = `receiver error ${message.code}: ${message.message}`;
        this.#retryAfterMs = message.retryAfterMs;
        this.#fatal = message.fatal === true;
        this.#log.warn("receiver reported an error", { code: "SINK_REMOTE_ERROR", error: this.#lastError });
        break;
      case "close":
        this.#retryAfterMs = message.retryAfterMs;
        this.#ws?.close(EaspCloseCode.Normal, "server close");
        break;
      default:
        break;
    }
  }

  #onOpened(opened: OpenedMessage): void {
    if (this.#state !== "connecting") return;
    this.#o.clock.clearTimer(this.#timer);
    this.#window = opened.window;
    const ackIntervalMs = Math.min(Math.max(opened.ackIntervalMs, 50), 5_000);
    this.#paused = opened.startPaused === true;
    const lastAvailable = this.source.lastAvailableSeq();
    const { start, verdict } = resumePoint(opened.nextSeq, lastAvailable, this.#ackedSeq);
    const fields = { nextSeq: opened.nextSeq, lastAvailable, ackedSeq: this.#ackedSeq };
    if (verdict === "ahead") {
      this.#lastError = `SINK_PROTOCOL: receiver asked for seq ${opened.nextSeq}, only ${lastAvailable} exist`;
      this.#log.error("receiver is ahead of the appliance's items", {
        code: "SINK_PROTOCOL",
        alarm: true,
        ...fields,
      });
    } else if (verdict === "regressed") {
      this.#log.warn("receiver lost acknowledged items: sending them again", {
        code: "SINK_ACK_REGRESSION",
        ...fields,
      });
    }
    this.source.seek(start);
    if (this.#ws) this.#out.start(this.#ws, opened.maxMessageBytes, start - 1);
    this.#closeSent = false;
    this.#everOpened = true;
    this.#openedAt = this.#o.clock.now();
    this.#liveness.start(this.#openedAt, ackIntervalMs);
    this.#state = "open";
    this.#ticker = this.#o.clock.setInterval(this.#tick, ackIntervalMs);
    this.#log.info("sink unit connected", { sessionId: this.sessionId, nextSeq: start });
    this.#o.listener.connected(this);
    this.pump();
  }

  #onAck(seq: number): void {
    if (seq <= this.#ackedSeq) return;
    const acked = Math.min(seq, this.#out.sentSeq);
    this.#ackedSeq = acked;
    const now = this.#o.clock.now();
    this.#liveness.acked(now);
    this.#protocolErrors = 0;
    if (now - this.#openedAt >= HEALTHY_AFTER_MS) this.#o.backoff.reset();
    this.#saveCursor(false);
    this.#out.inflight.ack(acked);
    if (this.#onShutdownSettled && acked >= this.#out.sentSeq) this.#onShutdownSettled();
    else this.#o.listener.dirty(this);
  }

  #onClosed(finalSeq: number): void {
    const ours = this.source.finalSeq();
    if (ours === 0 || finalSeq < ours) return;
    this.#ackedSeq = Math.max(this.#ackedSeq, ours);
    this.#finish("receiver confirmed every item");
    this.#ws?.close(EaspCloseCode.Normal, "closed");
    this.#ws = undefined;
  }

  #finish(why: string): void {
    this.#clearTimers();
    this.source.dispose();
    this.#state = "done";
    this.#saveCursor(true);
    this.#log.info("sink unit delivered", { sessionId: this.sessionId, finalSeq: this.#ackedSeq, why });
    this.#o.listener.done(this);
  }

  #onSocketClose(code: number, reason: string): void {
    this.#ws = undefined;
    this.#out.stop();
    if (this.#stopped) {
      this.#onShutdownSettled?.();
      return;
    }
    const wasOpen = this.#state === "open";
    this.#clearTimers();
    if (this.#state === "done") return;
    const why = `closed ${code}${reason ? ` ${reason}` : ""}`;
    if (code === EaspCloseCode.ProtocolError) this.#protocolErrors += 1;
    const action = closeAction(code, this.#fatal, this.#protocolErrors);
    if (action === "done") {
      this.#finish(`receiver says the session is finalized (${why})`);
      return;
    }
    if (!this.#lastError || wasOpen) this.#lastError = why;
    if (wasOpen) this.#o.listener.disconnected(this, why);
    if (action === "failed") {
      this.#state = "failed";
      this.#log.error("sink unit stopped: receiver rejects the session", {
        code: "SINK_REJECTED",
        alarm: true,
        reason: why,
      });
      return;
    }
    this.#state = "backoff";
    this.#reconnects += 1;
    const delay = this.#retryAfterMs ?? this.#o.backoff.next();
    this.#retryAfterMs = undefined;
    this.#log.debug("sink unit reconnecting", { reason: why, delayMs: delay });
    this.#schedule(this.#reconnect, delay);
  }

  readonly #reconnect = (): void => this.#connect();

  readonly #redirty = (): void => {
    this.#timer = undefined;
    this.#o.listener.dirty(this);
  };

  readonly #onOpenTimeout = (): void => {
    this.#timer = undefined;
    this.#lastError = "no `opened` within 10 s";
    this.#ws?.close(EaspCloseCode.PingTimeout, "no opened");
  };

  readonly #tick = (): void => {
    const action = this.#liveness.check(this.#o.clock.now(), this.#out.sentSeq > this.#ackedSeq);
    if (action === "dead") {
      this.#lastError = "no answer to two pings";
      this.#ws?.close(EaspCloseCode.PingTimeout, "no pong");
    } else if (action === "ping") {
      this.#sendJson({ type: "ping", v: 1, t: Math.round(this.#o.clock.now()) });
    } else if (action === "sync") {
      this.#sendJson({ type: "sync", v: 1 });
    }
  };

  #sendJson(message: object): void {
    this.#ws?.send(JSON.stringify(message));
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

  #schedule(fn: () => void, ms: number): void {
    this.#o.clock.clearTimer(this.#timer);
    this.#timer = this.#o.clock.setTimeout(fn, ms);
  }

  #clearTimers(): void {
    this.#o.clock.clearTimer(this.#timer);
    this.#o.clock.clearTimer(this.#ticker);
    this.#timer = undefined;
    this.#ticker = undefined;
  }
}

/** Upgrade headers of a session (EASP.md §2): the configured ones (e.g. `Authorization`) plus the EASP ids. */
function easpHeaders(
  configured: Record<string, string>,
  applianceId: string,
  sessionId: string,
  callId: string,
): Record<string, string> {
  return {
    ...configured,
    "EASP-Appliance-Id": applianceId,
    "EASP-Session-Id": sessionId,
    "EASP-Call-Id": callId,
  };
}
