import { alaw, mulaw } from "alawmulaw";

/** G.711 companding laws (ITU-T G.711; RTP names from RFC 3551 §4.5.14). */
export type G711Codec = "PCMU" | "PCMA";

function table(decodeSample: (sample: number) => number): Int16Array {
  const out = new Int16Array(256);
  for (let i = 0; i < 256; i++) out[i] = decodeSample(i);
  return out;
}

/** Linear value of every µ-law byte, built once from alawmulaw. */
const ulawToLinear = table(mulaw.decodeSample);
/** Linear value of every A-law byte, built once from alawmulaw. */
const alawToLinear = table(alaw.decodeSample);

function transcodeTable(from: Int16Array, encodeSample: (sample: number) => number): Uint8Array {
  const out = new Uint8Array(256);
  for (let i = 0; i < 256; i++) out[i] = encodeSample(from[i] ?? 0);
  return out;
}

/** µ-law byte → A-law byte through the linear value. */
const ulawToAlaw = transcodeTable(ulawToLinear, alaw.encodeSample);
/** A-law byte → µ-law byte through the linear value. */
const alawToUlaw = transcodeTable(alawToLinear, mulaw.encodeSample);

/** The 256-entry byte → linear sample table of a G.711 law. */
export function g711DecodeTable(codec: G711Codec): Int16Array {
  return codec === "PCMU" ? ulawToLinear : alawToLinear;
}

/**
 * Decodes G.711 bytes into a caller's buffer of 16-bit linear samples (one sample per byte,
 * ITU-T G.711), without allocating (like diago `DecodeUlawTo`). Values match alawmulaw's decoder.
 * @returns samples written (= `input.length`).
 * @throws RangeError if `output` is shorter than `input`.
 */
export function decodeG711Into(codec: G711Codec, input: Uint8Array, output: Int16Array): number {
  const n = input.length;
  if (output.length < n) {
    throw new RangeError(`output holds ${output.length} samples, ${n} needed`);
  }
  const lut = codec === "PCMU" ? ulawToLinear : alawToLinear;
  for (let i = 0; i < n; i++) output[i] = lut[input[i] ?? 0] ?? 0;
  return n;
}

/** Encodes 16-bit linear samples as G.711 bytes (one byte per sample) with alawmulaw; allocates the result. */
export function encodeG711(codec: G711Codec, samples: Int16Array): Uint8Array {
  return codec === "PCMU" ? mulaw.encode(samples) : alaw.encode(samples);
}

/**
 * Converts G.711 bytes from one law to the other through the linear value (what decoding with
 * `from` and encoding with `to` gives), one table lookup per byte; allocates the result. The same
 * law returns a copy.
 */
export function transcodeG711(from: G711Codec, to: G711Codec, input: Uint8Array): Uint8Array {
  if (from === to) return input.slice();
  const lut = from === "PCMU" ? ulawToAlaw : alawToUlaw;
  const out = new Uint8Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = lut[input[i] ?? 0] ?? 0;
  return out;
}
