import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_WINDOW, type OpenedMessage } from "../easp/index.ts";
import type { Clock } from "../lib/index.ts";
import { type ItemSource, Render } from "./item-source.ts";
import { MessageBuilder } from "./message-builder.ts";
import { effectiveReplayRate, ReplayPacer } from "./replay-pacer.ts";
import type { ScratchBuffer } from "./scratch-buffer.ts";

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
}

/**
 * The sending side of one EASP session (EASP.md §3–5): renders items from the source into
 * messages and sends them while the receiver's `window{ms, bytes}` of unacknowledged audio, its
 * `flow` XOFF/XON, the socket's high-water mark and the replay pace allow; asks for an ack with
 * `sync` when the window is full; sends `close{end}` after the last item.
 */
export class SessionSender {
  readonly #clock: Clock;
  readonly #source: ItemSource;
  readonly #pacer: ReplayPacer;
  readonly #out: MessageBuilder;
  readonly #configuredMaxRate: number;
  #window: { ms: number; bytes: number } = { ...DEFAULT_WINDOW };
  /** Receiver asked for no audio (`flow{pause}` / `pause`). */
  #paused = false;
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
    );
  }

  /** Highest seq handed to the socket. */
  get sentSeq(): number {
    return this.#out.sentSeq;
  }

  /** Starts sending on a connection that got `opened`, from `opened.nextSeq`. */
  open(ws: WebSocket, opened: OpenedMessage): void {
    this.#window = opened.window;
    this.#paused = opened.startPaused === true;
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

  /** `flow{pause}` (XOFF/XON) / `pause` / `resume`, and window updates. */
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
    if (this.#paused) return 0;
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
