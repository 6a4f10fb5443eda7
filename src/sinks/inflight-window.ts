/**
 * Audio sent but not yet acknowledged, per message, so a unit stays within the receiver's
 * `opened.window{ms, bytes}` (EASP.md §4–5). A message leaves the window once its last item is
 * acknowledged (acks are cumulative).
 */
export class InflightWindow {
  /** Last seq of each message in flight, oldest first (from `#head`). */
  #lastSeq: number[] = [];
  #msOf: number[] = [];
  #bytesOf: number[] = [];
  #head = 0;
  /** Audio in flight, ms. */
  ms = 0;
  /** Bytes in flight. */
  bytes = 0;

  /** Counts a sent message whose last item is `lastSeq`. */
  add(lastSeq: number, ms: number, bytes: number): void {
    this.#lastSeq.push(lastSeq);
    this.#msOf.push(ms);
    this.#bytesOf.push(bytes);
    this.ms += ms;
    this.bytes += bytes;
  }

  /** Removes every message whose last item is ≤ `seq`. */
  ack(seq: number): void {
    while (this.#head < this.#lastSeq.length && (this.#lastSeq[this.#head] ?? 0) <= seq) {
      this.ms -= this.#msOf[this.#head] ?? 0;
      this.bytes -= this.#bytesOf[this.#head] ?? 0;
      this.#head += 1;
    }
    if (this.#head > 256 && this.#head * 2 > this.#lastSeq.length) {
      this.#lastSeq = this.#lastSeq.slice(this.#head);
      this.#msOf = this.#msOf.slice(this.#head);
      this.#bytesOf = this.#bytesOf.slice(this.#head);
      this.#head = 0;
    }
    if (this.#head === this.#lastSeq.length) {
      this.ms = 0;
      this.bytes = 0;
    }
  }

  /** Forgets everything (new connection: unacknowledged items are sent again). */
  reset(): void {
    this.#lastSeq = [];
    this.#msOf = [];
    this.#bytesOf = [];
    this.#head = 0;
    this.ms = 0;
    this.bytes = 0;
  }

  /** Whether the window `{ms, bytes}` is used up, counting a message still being built. */
  isFull(window: { ms: number; bytes: number }, pendingMs: number, pendingBytes: number): boolean {
    return this.ms + pendingMs >= window.ms || this.bytes + pendingBytes >= window.bytes;
  }
}
