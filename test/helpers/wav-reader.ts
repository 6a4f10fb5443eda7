import { readFileSync } from "node:fs";

/** A WAV file as a test sees it: format fields and the raw data chunk. */
export interface WavContent {
  /** `fmt ` audio format tag: 1 PCM, 6 A-law, 7 µ-law. */
  formatTag: number;
  channels: number;
  rate: number;
  bitsPerSample: number;
  /** RIFF size field (file size − 8) as written in the header. */
  riffSize: number;
  /** Actual file size, bytes. */
  fileSize: number;
  /** The `data` chunk's bytes (length from the header's size field). */
  data: Uint8Array;
}

/** Reads a RIFF/WAVE file by walking its chunks (independent of the writer under test). */
export function readWav(path: string): WavContent {
  const bytes = new Uint8Array(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new Error(`${path} is not RIFF/WAVE`);
  let at = 12;
  let format: Omit<WavContent, "data" | "riffSize" | "fileSize"> | undefined;
  while (at + 8 <= bytes.byteLength) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    if (id === "fmt ") {
      format = {
        formatTag: view.getUint16(at + 8, true),
        channels: view.getUint16(at + 10, true),
        rate: view.getUint32(at + 12, true),
        bitsPerSample: view.getUint16(at + 22, true),
      };
    } else if (id === "data") {
      if (!format) throw new Error(`${path}: data before fmt`);
      return {
        ...format,
        riffSize: view.getUint32(4, true),
        fileSize: bytes.byteLength,
        data: bytes.subarray(at + 8, at + 8 + size),
      };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${path}: no data chunk`);
}

/** Splits interleaved 8-bit samples into channels. */
export function deinterleave8(data: Uint8Array, channels: number): Uint8Array[] {
  const frames = Math.floor(data.byteLength / channels);
  const out = Array.from({ length: channels }, () => new Uint8Array(frames));
  for (let i = 0; i < frames; i++)
    for (let c = 0; c < channels; c++) (out[c] as Uint8Array)[i] = data[i * channels + c] ?? 0;
  return out;
}

/** Reads 16-bit little-endian PCM samples, split into channels. */
export function deinterleave16le(data: Uint8Array, channels: number): Int16Array[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const frames = Math.floor(data.byteLength / (2 * channels));
  const out = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++)
      (out[c] as Int16Array)[i] = view.getInt16((i * channels + c) * 2, true);
  }
  return out;
}
