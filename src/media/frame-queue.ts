import type { MediaFrame } from "./media-types.ts";

/** Handled frames kept at the head before the array is compacted. */
const COMPACT_AFTER = 256;

/**
 * A FIFO of frames for {@link RtpSender}: an array with a moving head (no `shift()`, which copies),
 * compacted once the handled part is large, and promises that resolve when it runs empty.
 */
export class FrameQueue {
  /** Frames; entries before `#head` are handled. */
  #frames: (MediaFrame | undefined)[] = [];
  #head = 0;
  #emptyWaiters: (() => void)[] = [];

  /** Frames waiting. */
  get size(): number {
    return this.#frames.length - this.#head;
  }

  push(frame: MediaFrame): void {
    this.#frames.push(frame);
  }

  /** The oldest frame, without removing it. */
  peek(): MediaFrame | undefined {
    return this.#frames[this.#head];
  }

  /** Removes the oldest frame; resolves the `whenEmpty` promises when none is left. */
  shift(): void {
    if (this.#head >= this.#frames.length) return;
    this.#frames[this.#head++] = undefined;
    if (this.#head === this.#frames.length) {
      this.#frames.length = 0;
      this.#head = 0;
      this.#resolveWaiters();
    } else if (this.#head > COMPACT_AFTER && this.#head * 2 > this.#frames.length) {
      this.#frames.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Resolves when the queue is empty (at once if it is). */
  whenEmpty(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }

  /** Drops every frame and resolves the `whenEmpty` promises. */
  clear(): void {
    this.#frames = [];
    this.#head = 0;
    this.#resolveWaiters();
  }

  #resolveWaiters(): void {
    const waiters = this.#emptyWaiters;
    this.#emptyWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
