import { MediaError, MediaPortsExhaustedError } from "./errors.ts";
import type { PortPool } from "./media-types.ts";

/**
 * Creates a {@link PortPool} over the even ports of `[min, max]` whose RTCP port (`port + 1`) is
 * also in the range (RFC 3550 §11: RTP on an even port, RTCP on the next odd one). Free ports are
 * handed out first-in first-out. The pool does not bind: a port that fails to bind is reported by
 * {@link RtpReceiver.start} (`MEDIA_BIND`), and the caller allocates another one.
 * @param range `[min, max]`, inclusive UDP port numbers (config `media.port_range`).
 * @throws MediaError `MEDIA_BAD_PORT_RANGE` if the bounds are not integers in 1–65535 with
 *   `min <= max`, or the range holds no even/odd port pair.
 */
export function createPortPool(range: [min: number, max: number]): PortPool {
  const [min, max] = range;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
    throw new MediaError("MEDIA_BAD_PORT_RANGE", `bad RTP port range [${min}, ${max}]`);
  }
  const first = min % 2 === 0 ? min : min + 1;
  const capacity = first + 1 <= max ? Math.floor((max - 1 - first) / 2) + 1 : 0;
  if (capacity === 0) {
    throw new MediaError("MEDIA_BAD_PORT_RANGE", `RTP port range [${min}, ${max}] holds no RTP/RTCP pair`);
  }
  return new FifoPortPool(first, capacity);
}

/** A ring of free ports (FIFO) plus an in-use bitmap that makes `release` idempotent. */
class FifoPortPool implements PortPool {
  readonly capacity: number;
  /** First (lowest) RTP port. */
  readonly #first: number;
  /** Free ports, a ring of `capacity` entries starting at `#head`. */
  readonly #free: Uint16Array;
  /** 1 when the port at that index is allocated. */
  readonly #used: Uint8Array;
  #head = 0;
  #freeCount: number;

  constructor(first: number, capacity: number) {
    this.#first = first;
    this.capacity = capacity;
    this.#free = new Uint16Array(capacity);
    for (let i = 0; i < capacity; i++) this.#free[i] = first + 2 * i;
    this.#used = new Uint8Array(capacity);
    this.#freeCount = capacity;
  }

  get inUse(): number {
    return this.capacity - this.#freeCount;
  }

  allocate(): number {
    if (this.#freeCount === 0) throw new MediaPortsExhaustedError(this.capacity);
    const port = this.#free[this.#head] ?? 0;
    this.#head = (this.#head + 1) % this.capacity;
    this.#freeCount--;
    this.#used[(port - this.#first) / 2] = 1;
    return port;
  }

  release(port: number): void {
    const index = (port - this.#first) / 2;
    if (!Number.isInteger(index) || index < 0 || index >= this.capacity) {
      throw new RangeError(`port ${port} is not an RTP port of this pool`);
    }
    if (this.#used[index] === 0) return;
    this.#used[index] = 0;
    this.#free[(this.#head + this.#freeCount) % this.capacity] = port;
    this.#freeCount++;
  }
}
