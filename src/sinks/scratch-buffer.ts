import { DEFAULT_MAX_MESSAGE_BYTES } from "../easp/index.ts";

/**
 * The one buffer binary messages are built in, shared by every unit of a dispatcher: a unit
 * builds and sends its message within one synchronous pump, and the WebSocket client copies on
 * `send`, so the buffer is free again for the next unit.
 */
export class ScratchBuffer {
  /** Message bytes. */
  bytes = new Uint8Array(DEFAULT_MAX_MESSAGE_BYTES);
  /** DataView over {@link bytes}. */
  view = new DataView(this.bytes.buffer);

  /** Grows the buffer (keeping its first `used` bytes) so that it holds at least `size` bytes. */
  ensure(size: number, used: number): void {
    if (size <= this.bytes.byteLength) return;
    const bigger = new Uint8Array(Math.max(size, this.bytes.byteLength * 2));
    bigger.set(this.bytes.subarray(0, used));
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
  }
}
