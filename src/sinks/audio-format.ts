import { bytesPerSample, type EaspCodec, silenceByte } from "../easp/index.ts";
import type { AudioCodec } from "../spool/index.ts";
import { SinkError } from "./errors.ts";
import { g711DecodeTable, g711TranscodeTable } from "./g711-tables.ts";
import type { SinkFormat } from "./sink-types.ts";

/** The payload format a sink sends: codec, rate and per-sample size. */
export interface OutputFormat {
  /** EASP codec name. */
  codec: EaspCodec;
  /** Sample rate, Hz. */
  rate: number;
  /** Bytes per sample per channel: 1 (G.711) or 2 (L16). */
  bytesPerSample: 1 | 2;
  /** The byte value of digital silence (PCMU `0xFF`, PCMA `0xD5`, L16 `0x00`). */
  silence: number;
}

/**
 * Parses a sink `format` (`PCMU/8000`, `PCMA/8000`, `L16/8000`).
 * @throws SinkError `SINK_CONFIG` for any other value (only 8 kHz is recorded, no resampling).
 */
export function parseSinkFormat(format: SinkFormat): OutputFormat {
  const [name, rateText] = format.split("/");
  if ((name !== "PCMU" && name !== "PCMA" && name !== "L16") || rateText !== "8000") {
    throw new SinkError("SINK_CONFIG", `unsupported sink format ${JSON.stringify(format)}`);
  }
  return { codec: name, rate: 8000, bytesPerSample: bytesPerSample(name), silence: silenceByte(name) };
}

/**
 * Converts the G.711 bytes of one recorded stream into a sink's output format, sample by sample,
 * writing with a stride so the same code fills mono payloads and one channel of an interleaved
 * payload. L16 is written big-endian (network order, RFC 3551 §4.5.11).
 */
export class SampleConverter {
  /** Whether input bytes are copied unchanged (G.711 in, same G.711 out). */
  readonly passthrough: boolean;
  readonly #output: OutputFormat;
  /** G.711 → G.711 table (identity when passing through), or undefined for L16 output. */
  readonly #bytes: Uint8Array | undefined;
  /** G.711 → linear table for L16 output. */
  readonly #linear: Int16Array | undefined;

  constructor(input: AudioCodec, output: OutputFormat) {
    this.#output = output;
    this.passthrough = output.codec === input;
    if (output.codec === "L16") {
      this.#linear = g711DecodeTable(input);
    } else {
      this.#bytes = g711TranscodeTable(input, output.codec);
    }
  }

  /**
   * Writes `count` samples of `src` (from `srcStart`) to `dst` at `dstOffset`, the start of each
   * sample `stride` bytes after the previous one (stride = channels × bytesPerSample).
   */
  write(
    src: Uint8Array,
    srcStart: number,
    count: number,
    dst: Uint8Array,
    dstOffset: number,
    stride: number,
  ): void {
    const bytes = this.#bytes;
    if (bytes) {
      if (this.passthrough && stride === 1) {
        dst.set(src.subarray(srcStart, srcStart + count), dstOffset);
        return;
      }
      for (let i = 0, o = dstOffset; i < count; i++, o += stride) dst[o] = bytes[src[srcStart + i] ?? 0] ?? 0;
      return;
    }
    const linear = this.#linear as Int16Array;
    for (let i = 0, o = dstOffset; i < count; i++, o += stride) {
      const sample = linear[src[srcStart + i] ?? 0] ?? 0;
      dst[o] = (sample >> 8) & 0xff;
      dst[o + 1] = sample & 0xff;
    }
  }

  /** Writes `count` samples of codec silence with the same stride rule as {@link write}. */
  fillSilence(dst: Uint8Array, dstOffset: number, count: number, stride: number): void {
    const width = this.#output.bytesPerSample;
    if (stride === width) {
      dst.fill(this.#output.silence, dstOffset, dstOffset + count * width);
      return;
    }
    for (let i = 0, o = dstOffset; i < count; i++, o += stride) {
      dst[o] = this.#output.silence;
      if (width === 2) dst[o + 1] = this.#output.silence;
    }
  }
}
