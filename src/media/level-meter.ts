import { type G711Codec, g711DecodeTable } from "./g711.ts";

function magnitudeTable(codec: G711Codec): Uint16Array {
  const linear = g711DecodeTable(codec);
  const out = new Uint16Array(256);
  for (let i = 0; i < 256; i++) out[i] = Math.abs(linear[i] ?? 0);
  return out;
}

/** |linear sample| of every G.711 byte, per law. */
const magnitude = { PCMU: magnitudeTable("PCMU"), PCMA: magnitudeTable("PCMA") } as const;

/** Measure one packet in this many (at 20 ms ptime: one packet per 100 ms). */
const SAMPLE_EVERY = 5;
/** Peaks kept; with one per 100 ms this covers the last ~200 ms window and then some. */
const SLOTS = 4;
/** The meter shows the peak of this recent span, µs. */
const WINDOW_US = 200_000;

/**
 * A cheap level meter for the status page: every 5th audio packet is scanned through a 256-entry
 * |sample| table (no decoding into a buffer), and the level is the peak of the measurements taken
 * in the last ~200 ms. Packets in between cost one counter decrement.
 */
export class LevelMeter {
  readonly #peak = new Uint16Array(SLOTS);
  readonly #atUs = new Float64Array(SLOTS);
  #slot = 0;
  #countdown = 0;

  /** Offers one audio packet's G.711 bytes, arrived at `wallUs`. */
  offer(codec: G711Codec, payload: Uint8Array, wallUs: number): void {
    if (--this.#countdown > 0) return;
    this.#countdown = SAMPLE_EVERY;
    const table = magnitude[codec];
    let peak = 0;
    for (let i = 0; i < payload.length; i++) {
      const m = table[payload[i] ?? 0] ?? 0;
      if (m > peak) peak = m;
    }
    this.#slot = (this.#slot + 1) % SLOTS;
    this.#peak[this.#slot] = peak;
    this.#atUs[this.#slot] = wallUs;
  }

  /** Peak |sample| (0–32767) measured in the last ~200 ms before `nowUs`; 0 when nothing recent. */
  level(nowUs: number): number {
    let level = 0;
    for (let i = 0; i < SLOTS; i++) {
      const at = this.#atUs[i] ?? 0;
      const peak = this.#peak[i] ?? 0;
      if (at > 0 && nowUs - at <= WINDOW_US && peak > level) level = peak;
    }
    return level;
  }
}
