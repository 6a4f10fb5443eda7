import type { Clock, TimerHandle } from "../lib/index.ts";

/** Receives what a {@link ReorderBuffer} lets through, in sequence order. */
export interface ReorderTarget {
  /** The next packet in sequence order (`extSeq` = extended sequence number, RFC 3550 §A.1). */
  release(
    extSeq: number,
    timestamp: number,
    kind: number,
    marker: boolean,
    payload: Uint8Array,
    wallUs: number,
  ): void;
  /** `count` packets starting at `firstSeq` were given up (never arrived within the window). */
  lost(firstSeq: number, count: number): void;
}

/** What {@link ReorderBuffer.push} did with a packet. */
export const PushOutcome = { Accepted: 0, Duplicate: 1, Late: 2 } as const;
/** @see PushOutcome */
export type PushOutcome = (typeof PushOutcome)[keyof typeof PushOutcome];

/** Slots of the ring: the most packets that can wait behind a hole (128 × 20 ms = 2.56 s). */
const RING = 128;
const MASK = RING - 1;
/** A sequence jump beyond this is a sender restart, not loss (RFC 3550 §A.1 MAX_DROPOUT). */
const MAX_DROPOUT = 3000;

const Slot = { Empty: 0, Held: 1, Released: 2, Lost: 3 } as const;

/**
 * The reorder buffer of one SSRC (DESIGN.md §3): in-order packets pass through at once; a packet
 * after a hole waits up to `windowMs` for the missing ones, then the hole is given up (reported as
 * lost) and the held packets are released. Late packets (their slot given up) and duplicates are
 * counted and dropped. Held packets live in struct-of-arrays rings indexed by `extSeq & 127`, so
 * holding a packet allocates nothing.
 */
export class ReorderBuffer {
  /** Packets given up (sequence gaps not filled within the window). */
  packetsLost = 0;
  /** Packets that arrived after their slot was given up, or far too old to tell. */
  packetsLate = 0;
  /** Packets received twice. */
  packetsDuplicate = 0;

  readonly #target: ReorderTarget;
  readonly #clock: Clock;
  readonly #windowMs: number;
  #started = false;
  /** Next extended sequence number to release. */
  #next = 0;
  /** Highest extended sequence number accepted. */
  #highest = 0;
  /** Packets held behind a hole. */
  #held = 0;
  readonly #tag = new Float64Array(RING).fill(Number.NaN);
  readonly #state = new Uint8Array(RING);
  readonly #timestamp = new Uint32Array(RING);
  readonly #kind = new Uint8Array(RING);
  readonly #marker = new Uint8Array(RING);
  readonly #wallUs = new Float64Array(RING);
  readonly #arrivalMs = new Float64Array(RING);
  readonly #payload: (Uint8Array | undefined)[] = new Array(RING).fill(undefined);
  #timer: TimerHandle | undefined;
  readonly #onTimer = (): void => this.#expire();

  constructor(target: ReorderTarget, clock: Clock, windowMs: number) {
    this.#target = target;
    this.#clock = clock;
    this.#windowMs = windowMs;
  }

  /** Takes one packet (16-bit `seq`) and releases, holds or drops it. */
  push(
    seq: number,
    timestamp: number,
    kind: number,
    marker: boolean,
    payload: Uint8Array,
    wallUs: number,
  ): PushOutcome {
    if (!this.#started) {
      this.#started = true;
      this.#next = seq;
      this.#highest = seq - 1;
      return this.#releaseNow(seq, timestamp, kind, marker, payload, wallUs);
    }
    const delta = ((seq - (this.#highest & 0xffff) + 32768) & 0xffff) - 32768;
    let ext = this.#highest + delta;
    if (delta > MAX_DROPOUT || delta < -MAX_DROPOUT) {
      // Sequence restart: keep extended numbers increasing and congruent to the wire value.
      ext = this.#highest + ((seq - this.#highest) & 0xffff || 65536);
      this.flush();
      this.#next = ext;
    }
    if (ext === this.#next) return this.#releaseNow(ext, timestamp, kind, marker, payload, wallUs);
    const i = ext & MASK;
    if (ext < this.#next) {
      // Lost slots are always recorded; packets released in order are not (the fast path writes
      // nothing to the ring), so a recent packet that was not given up is a duplicate.
      if ((this.#tag[i] === ext && this.#state[i] === Slot.Lost) || ext < this.#next - RING) {
        this.packetsLate++;
        return PushOutcome.Late;
      }
      this.packetsDuplicate++;
      return PushOutcome.Duplicate;
    }
    if (this.#tag[i] === ext) {
      this.packetsDuplicate++;
      return PushOutcome.Duplicate;
    }
    if (ext - this.#next >= RING) this.#giveUpTo(ext - RING + 1);
    this.#hold(i, ext, timestamp, kind, marker, payload, wallUs);
    if (ext > this.#highest) this.#highest = ext;
    if (this.#next === ext) this.#drain();
    return PushOutcome.Accepted;
  }

  /** Gives up every hole and releases everything held, in order (BYE, SSRC change). */
  flush(): void {
    if (this.#held > 0) this.#giveUpTo(this.#highest + 1);
    this.#cancelTimer();
  }

  /** Forgets the sequence state (new SSRC): the next packet starts afresh. Drops what is held. */
  reset(): void {
    this.#cancelTimer();
    this.#started = false;
    this.#held = 0;
    this.#tag.fill(Number.NaN);
    this.#state.fill(Slot.Empty);
    this.#payload.fill(undefined);
  }

  #releaseNow(
    ext: number,
    timestamp: number,
    kind: number,
    marker: boolean,
    payload: Uint8Array,
    wallUs: number,
  ): PushOutcome {
    this.#next = ext + 1;
    if (ext > this.#highest) this.#highest = ext;
    this.#target.release(ext, timestamp, kind, marker, payload, wallUs);
    if (this.#held > 0) this.#drain();
    return PushOutcome.Accepted;
  }

  #hold(
    i: number,
    ext: number,
    timestamp: number,
    kind: number,
    marker: boolean,
    payload: Uint8Array,
    wallUs: number,
  ): void {
    this.#tag[i] = ext;
    this.#state[i] = Slot.Held;
    this.#timestamp[i] = timestamp;
    this.#kind[i] = kind;
    this.#marker[i] = marker ? 1 : 0;
    this.#payload[i] = payload;
    this.#wallUs[i] = wallUs;
    this.#arrivalMs[i] = this.#clock.now();
    this.#held++;
    if (this.#timer === undefined) this.#timer = this.#clock.setTimeout(this.#onTimer, this.#windowMs);
  }

  /** Releases held packets from `#next` on while they are consecutive. */
  #drain(): void {
    let i = this.#next & MASK;
    while (this.#held > 0 && this.#tag[i] === this.#next && this.#state[i] === Slot.Held) {
      this.#releaseHeld(i);
      i = this.#next & MASK;
    }
    if (this.#held === 0) this.#cancelTimer();
  }

  #releaseHeld(i: number): void {
    const payload = this.#payload[i] ?? new Uint8Array(0);
    const ext = this.#next;
    this.#state[i] = Slot.Released;
    this.#payload[i] = undefined;
    this.#held--;
    this.#next = ext + 1;
    this.#target.release(
      ext,
      this.#timestamp[i] ?? 0,
      this.#kind[i] ?? 0,
      this.#marker[i] === 1,
      payload,
      this.#wallUs[i] ?? 0,
    );
  }

  /** Moves `#next` up to `end`: held packets are released, missing ones reported lost; then drains. */
  #giveUpTo(end: number): void {
    let lostFrom = -1;
    while (this.#next < end) {
      const i = this.#next & MASK;
      if (this.#tag[i] === this.#next && this.#state[i] === Slot.Held) {
        if (lostFrom >= 0) this.#reportLost(lostFrom, this.#next - lostFrom);
        lostFrom = -1;
        this.#releaseHeld(i);
      } else {
        if (lostFrom < 0) lostFrom = this.#next;
        this.#tag[i] = this.#next;
        this.#state[i] = Slot.Lost;
        this.#payload[i] = undefined;
        this.#next++;
      }
    }
    if (lostFrom >= 0) this.#reportLost(lostFrom, this.#next - lostFrom);
    this.#drain();
  }

  #reportLost(firstSeq: number, count: number): void {
    this.packetsLost += count;
    this.#target.lost(firstSeq, count);
  }

  /** Timer: gives up the holes in front of every packet that has waited `windowMs`. */
  #expire(): void {
    this.#timer = undefined;
    if (this.#held === 0) return;
    const nowMs = this.#clock.now();
    let releaseTo = -1;
    let oldestMs = Number.POSITIVE_INFINITY;
    for (let ext = this.#next; ext <= this.#highest; ext++) {
      const i = ext & MASK;
      if (this.#tag[i] !== ext || this.#state[i] !== Slot.Held) continue;
      const arrivalMs = this.#arrivalMs[i] ?? 0;
      if (arrivalMs + this.#windowMs <= nowMs) releaseTo = ext;
      else if (arrivalMs < oldestMs) oldestMs = arrivalMs;
    }
    if (releaseTo >= 0) this.#giveUpTo(releaseTo + 1);
    if (this.#held > 0 && this.#timer === undefined) {
      this.#timer = this.#clock.setTimeout(this.#onTimer, Math.max(0, oldestMs + this.#windowMs - nowMs));
    }
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}
