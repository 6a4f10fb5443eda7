import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_WINDOW,
  microsFromIso,
  type OpenedMessage,
} from "../easp/index.ts";
import type { Clock } from "../lib/index.ts";
import { type ItemSource, Render } from "./item-source.ts";
import { MessageBuilder } from "./message-builder.ts";
import { effectiveReplayRate, ReplayPacer } from "./replay-pacer.ts";
import type { ScratchBuffer } from "./scratch-buffer.ts";
import { type PausedSpan, WithheldAudio } from "./withheld-audio.ts";

/** Stop pumping while the socket holds more than this many unsent bytes. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** Retry interval while above the high-water mark, ms (the client socket has no drain event). */
const DRAIN_RETRY_MS = 10;
/** Smallest message size a session falls back to after `4413`/`4029` halvings, bytes. */
const MIN_MESSAGE_BYTES = 4096;
/** {@link SessionSender.pump} result: the next frame waits for the spool's group commit. */
export const WAIT_FOR_COMMIT = -1;

/** What {@link SessionSender} is built from. */
export interface SessionSenderOptions {
  scratch: ScratchBuffer;
  source: ItemSource;
  /** Acknowledged seq from the cursor. */
  ackedSeq: number;
  clock: Clock;
  /** Records older than this when sent carry the REPLAY flag, ms. */
  replayThresholdMs: number;
  /** The sink's `replay.maxRate` (0 = no limit from the config). */
  configuredMaxRate: number;
  /** Spans the receiver skipped with `resume{from:"now"}` on earlier connections (from the spool). */
  pausedSpans: readonly PausedSpan[];
}

/**
 * The sending side of one EASP session (EASP.md §3–5): renders items from the source into
 * messages and sends them while the receiver's `window{ms, bytes}` of unacknowledged audio, its
 * `flow` XOFF/XON, the socket's high-water mark and the replay pace allow; asks for an ack with
 * `sync` when the window is full; sends `close{end}` after the last item. While the receiver has
 * `pause`d the session (or opened it with `startPaused`) nothing is sent; what became available in
 * the meantime is either delivered (`resume{from:"paused"}`, the REPLAY flag where due) or skipped
 * as GAP PAUSED_RECEIVER records (`resume{from:"now"}`); audio captured before `opened.discardBefore`
 * goes out as GAP DECLINED records ({@link WithheldAudio}).
 */
export class SessionSender {
  readonly #clock: Clock;
  readonly #source: ItemSource;
  readonly #pacer: ReplayPacer;
  readonly #out: MessageBuilder;
  readonly #configuredMaxRate: number;
  #window: { ms: number; bytes: number } = { ...DEFAULT_WINDOW };
  /** Receiver asked for no audio for now (`flow{pause}`, XOFF). */
  #paused = false;
  /** While the receiver `pause`d the session: the first seq not available when it did; else 0. */
  #pausedFrom = 0;
  readonly #withheld = new WithheldAudio();
  #closeSent = false;
  /** A `sync` was sent since the last ack. */
  #syncSent = false;
  /** Largest message this session sends (halved on 4413/4029), bytes. */
  #maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;

  constructor(options: SessionSenderOptions) {
    this.#clock = options.clock;
    this.#source = options.source;
    this.#configuredMaxRate = options.configuredMaxRate;
    this.#pacer = new ReplayPacer(options.clock);
    this.#out = new MessageBuilder(
      options.scratch,
      options.source,
      options.ackedSeq,
      this.#pacer,
      options.replayThresholdMs,
      this.#withheld,
    );
    for (const span of options.pausedSpans) this.#withheld.addPausedSpan(span);
  }

  /** Highest seq handed to the socket. */
  get sentSeq(): number {
    return this.#out.sentSeq;
  }

  /** Starts sending on a connection that got `opened`, from `opened.nextSeq`. */
  open(ws: WebSocket, opened: OpenedMessage): void {
    this.#window = opened.window;
    this.#paused = false;
    this.#pausedFrom = 0;
    if (opened.startPaused === true) this.pause();
    this.#withheld.setDiscardBefore(
      opened.discardBefore === undefined ? undefined : microsFromIso(opened.discardBefore),
    );
    this.#pacer.setRate(effectiveReplayRate(opened.replay.maxRate, this.#configuredMaxRate));
    this.#source.seek(opened.nextSeq);
    this.#out.start(ws, Math.min(opened.maxMessageBytes, this.#maxMessageBytes), opened.nextSeq - 1);
    this.#closeSent = false;
    this.#syncSent = false;
  }

  /** The connection closed. */
  stop(): void {
    this.#out.stop();
  }

  /** Everything ≤ `seq` is acknowledged (cumulative). */
  acked(seq: number): void {
    this.#syncSent = false;
    this.#out.inflight.ack(seq);
  }

  /** Receiver `pause` (EASP.md §4, §6): sends nothing until `resume`; the spool keeps everything. */
  pause(): void {
    if (this.#pausedFrom === 0) this.#pausedFrom = this.#source.lastAvailableSeq() + 1;
  }

  /**
   * Receiver `resume`. With `from:"now"` the items that became available while paused are skipped:
   * returns that span `[from, to)` (empty when nothing arrived), which the caller stores durably and
   * then passes to {@link skip} before the next pump. With `from:"paused"` (the default) returns
   * undefined: the paused span is delivered from the spool.
   */
  resume(from: "now" | "paused" | undefined): PausedSpan | undefined {
    const pausedFrom = this.#pausedFrom;
    if (pausedFrom === 0) return undefined;
    this.#pausedFrom = 0;
    if (from !== "now") return undefined;
    return { from: pausedFrom, to: Math.max(pausedFrom, this.#source.lastAvailableSeq() + 1) };
  }

  /** Renders the AUDIO records of a skipped span (stored) as GAP PAUSED_RECEIVER records from now on. */
  skip(span: PausedSpan): void {
    this.#withheld.addPausedSpan(span);
  }

  /** The spans skipped so far (stored ones included), in order. */
  pausedSpans(): PausedSpan[] {
    return this.#withheld.pausedSpans();
  }

  /** `flow{pause}` (XOFF/XON) and window updates. */
  flow(paused: boolean | undefined, window?: { ms: number; bytes: number }): void {
    if (paused !== undefined) this.#paused = paused;
    if (window) this.#window = window;
  }

  /** After 4413/4029: the next connection sends messages half as large (not below 4 KiB). */
  halveBatch(): void {
    this.#maxMessageBytes = Math.max(MIN_MESSAGE_BYTES, this.#maxMessageBytes / 2);
  }

  /**
   * Sends every item that is ready within the limits, one binary message per `maxMessageBytes`.
   * @returns 0; or after how many ms to pump again (socket draining, replay pace) when no
   *   message will come by itself; or {@link WAIT_FOR_COMMIT}.
   */
  pump(ws: WebSocket, ackedSeq: number): number {
    if (this.#paused || this.#pausedFrom > 0) return 0;
    const out = this.#out;
    out.begin(this.#clock.wallUs());
    let wakeMs = 0;
    for (;;) {
      if (ws.bufferedAmount > HIGH_WATER_BYTES) {
        wakeMs = DRAIN_RETRY_MS;
        break;
      }
      if (out.windowFull(this.#window)) {
        if (!this.#syncSent && out.sentSeq > ackedSeq) ws.send(JSON.stringify({ type: "sync", v: 1 }));
        this.#syncSent = true;
        break;
      }
      const result = this.#source.next(out);
      if (result === Render.Ready) continue;
      if (result === Render.Full) out.flush();
      else {
        if (result === Render.Uncommitted) wakeMs = WAIT_FOR_COMMIT;
        else if (result === Render.Paced) wakeMs = out.pacedForMs;
        break;
      }
    }
    out.flush();
    const finalSeq = this.#source.finalSeq();
    if (finalSeq > 0 && this.#source.nextSeq > finalSeq && !this.#closeSent) {
      this.#closeSent = true;
      ws.send(JSON.stringify({ type: "close", v: 1, reason: "end", finalSeq }));
    }
    return wakeMs;
  }
}
