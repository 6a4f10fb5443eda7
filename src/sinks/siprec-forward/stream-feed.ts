import type { RtpSender } from "../../media/index.ts";
import type { FrameRecord, Spool, StreamRecord } from "../../spool/index.ts";

/** Frames kept queued in the sender at most (≈ 3 s of 20 ms frames): the rest stays in the spool. */
const QUEUE_HIGH = 150;

/**
 * Feeds one stream's frames `from`…`end` (idx) into one RTP sender, in order, each exactly once: from
 * the spool while behind, straight from the live feed once caught up. At most {@link QUEUE_HIGH}
 * frames wait in the sender; it is topped up whenever its queue runs dry, so a long backlog (or an
 * unpaced replay) never sits in memory. Frames that arrive before the sender exists stay in the spool.
 */
export class StreamFeed {
  readonly stream: StreamRecord;
  /** First frame idx this feed sends. */
  readonly from: number;
  readonly #spool: Spool;
  /** Called once when every frame up to `end` was handed to the socket. */
  readonly #onComplete: (feed: StreamFeed) => void;
  #end: number;
  /** Next frame idx to enqueue. */
  #next: number;
  #sender: RtpSender | undefined;
  #waitingForDrain = false;
  #closed = false;
  #completed = false;
  /** Frames the sender had handled (and so handed to the socket, or skipped as gaps) when it was detached. */
  #handedAtClose: number | undefined;

  /**
   * @param end last idx to send, or `Infinity` while the stream is live (see {@link endAt}).
   */
  constructor(
    spool: Spool,
    stream: StreamRecord,
    from: number,
    end: number,
    onComplete: (feed: StreamFeed) => void,
  ) {
    this.#spool = spool;
    this.stream = stream;
    this.from = from;
    this.#end = end;
    this.#next = from;
    this.#onComplete = onComplete;
  }

  /** Last idx this feed will send (`Infinity` while the stream is live). */
  get end(): number {
    return this.#end;
  }

  /** Last frame idx handed to the sender's socket (`from − 1` when none). */
  get handed(): number {
    if (this.#handedAtClose !== undefined) return this.#handedAtClose;
    return this.#next - 1 - (this.#sender?.queuedFrames ?? 0);
  }

  /** Whether it feeds a sender now (attached and not detached). */
  get attached(): boolean {
    return this.#sender !== undefined;
  }

  /** Whether every frame up to `end` was handed to the socket. */
  get completed(): boolean {
    return this.#completed;
  }

  /** Sends through `sender` from now on (after the SRS answered); `pump()` starts it. */
  attach(sender: RtpSender): void {
    if (!this.#closed) this.#sender = sender;
  }

  /** The stream ended: its last frame is `lastIdx` (only lowers a live end). */
  endAt(lastIdx: number): void {
    if (lastIdx >= this.#end) return;
    this.#end = Math.max(lastIdx, this.from - 1);
    this.pump();
  }

  /**
   * A frame just appended to the spool (hot path): sent at once when it is the next one and the sender's
   * queue has room; otherwise it is read back from the spool later.
   */
  live(frame: FrameRecord): void {
    const sender = this.#sender;
    if (sender === undefined || frame.idx !== this.#next || frame.idx > this.#end) return;
    if (sender.queuedFrames >= QUEUE_HIGH) {
      this.#waitForDrain(sender);
      return;
    }
    sender.enqueue(frame);
    this.#next++;
  }

  /** Tops the sender up from the spool; notices completion. */
  pump(): void {
    const sender = this.#sender;
    if (this.#closed || sender === undefined) return;
    const last = Math.min(this.#end, this.#spool.lastIdx(this.stream.streamId));
    const room = QUEUE_HIGH - sender.queuedFrames;
    if (this.#next <= last && room > 0) {
      const frames = this.#spool.readFrames(
        this.stream.streamId,
        this.#next,
        Math.min(room, last - this.#next + 1),
      );
      // Frames the spool no longer has cannot be sent: skip them rather than wait for them forever.
      this.#next = frames.length === 0 ? last + 1 : Math.max(this.#next, frames[0]?.idx ?? this.#next);
      for (const frame of frames) {
        sender.enqueue(frame);
        this.#next = frame.idx + 1;
      }
    }
    if (this.#next <= last || (this.#next > this.#end && sender.queuedFrames > 0)) this.#waitForDrain(sender);
    else if (this.#next > this.#end) this.#complete();
  }

  /** Stops feeding: remembers how far the sender got (call before closing the sender). */
  detach(): void {
    if (this.#closed) return;
    this.#handedAtClose = this.handed;
    this.#closed = true;
    this.#sender = undefined;
  }

  #waitForDrain(sender: RtpSender): void {
    if (this.#waitingForDrain) return;
    this.#waitingForDrain = true;
    void sender.whenDrained().then(() => {
      this.#waitingForDrain = false;
      this.pump();
    });
  }

  #complete(): void {
    if (this.#completed) return;
    this.#completed = true;
    this.#onComplete(this);
  }
}
