import { WavFormatError } from "./errors.ts";

/** WAVE `fmt ` format tags: integer PCM, and WAVE_FORMAT_EXTENSIBLE (whose sub-format must then be PCM). */
const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe;

interface Chunk {
  id: string;
  start: number;
  size: number;
}

/** Walks the RIFF chunks after the 12-byte `RIFF….WAVE` header (chunks are padded to even sizes). */
function* chunks(view: DataView): Generator<Chunk> {
  let offset = 12;
  while (offset + 8 <= view.byteLength) {
    const id = fourCc(view, offset);
    const size = view.getUint32(offset + 4, true);
    yield { id, start: offset + 8, size: Math.min(size, view.byteLength - offset - 8) };
    offset += 8 + size + (size & 1);
  }
}

function fourCc(view: DataView, offset: number): string {
  return String.fromCharCode(
    view.getUint8(offset),
    view.getUint8(offset + 1),
    view.getUint8(offset + 2),
    view.getUint8(offset + 3),
  );
}

function checkFormat(view: DataView, fmt: Chunk): void {
  if (fmt.size < 16) throw new WavFormatError(`WAV fmt chunk of ${fmt.size} bytes is too short`);
  let tag = view.getUint16(fmt.start, true);
  if (tag === FORMAT_EXTENSIBLE && fmt.size >= 26) tag = view.getUint16(fmt.start + 24, true);
  const channels = view.getUint16(fmt.start + 2, true);
  const bits = view.getUint16(fmt.start + 14, true);
  if (tag !== FORMAT_PCM || bits !== 16 || channels !== 1) {
    throw new WavFormatError(
      `WAV must be 16-bit linear PCM, mono; this one has format tag ${tag}, ${bits} bits, ${channels} channels`,
    );
  }
}

/**
 * Reads the samples of a RIFF/WAVE file holding 16-bit linear PCM, one channel (little-endian
 * samples, any sample rate: the caller decides whether it is the 8 kHz it needs). Skips chunks other
 * than `fmt ` and `data` (LIST, fact, …) and accepts WAVE_FORMAT_EXTENSIBLE with a PCM sub-format.
 *
 * @param bytes - the whole file.
 * @returns the samples (a copy, independent of `bytes`); a truncated `data` chunk gives the samples present.
 * @throws WavFormatError (SIMULATE_BAD_WAV) when the bytes are not RIFF/WAVE, have no `fmt ` or `data`
 *   chunk, or hold another format, bit depth or channel count.
 */
export function readWav16Mono(bytes: Uint8Array): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || fourCc(view, 0) !== "RIFF" || fourCc(view, 8) !== "WAVE") {
    throw new WavFormatError("not a RIFF/WAVE file");
  }
  let fmt: Chunk | undefined;
  for (const chunk of chunks(view)) {
    if (chunk.id === "fmt ") fmt = chunk;
    else if (chunk.id === "data") {
      if (!fmt) throw new WavFormatError("WAV data chunk comes before its fmt chunk");
      checkFormat(view, fmt);
      const samples = new Int16Array(chunk.size >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(chunk.start + 2 * i, true);
      return samples;
    }
  }
  throw new WavFormatError(fmt ? "WAV has no data chunk" : "WAV has no fmt chunk");
}
