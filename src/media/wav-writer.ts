/** Sample formats {@link buildWav} writes: G.711 bytes as recorded, or 16-bit linear PCM. */
export type WavFormat = "PCMU" | "PCMA" | "L16";

/** Input of {@link buildWav}. */
export interface WavOptions {
  /** `PCMU` (µ-law) and `PCMA` (A-law): one byte per sample; `L16`: signed 16-bit, little-endian. */
  format: WavFormat;
  /** Sample rate, Hz (8000 for G.711). */
  rate: number;
  /** Channels, interleaved sample by sample in `data` (1–8). */
  channels: number;
  /** The samples: G.711 bytes, or L16 **little-endian** (WAV's byte order, not RTP's). */
  data: Uint8Array;
}

/** `fmt ` format tags (RFC 2361 appendix A: WAVE_FORMAT_PCM, WAVE_FORMAT_ALAW, WAVE_FORMAT_MULAW). */
const formatTags: Record<WavFormat, number> = { L16: 1, PCMA: 6, PCMU: 7 };

const maxChunkBytes = 0xffff_fff0;

function checkOptions(options: WavOptions, bytesPerSample: number): void {
  const { rate, channels, data } = options;
  if (!Number.isInteger(rate) || rate <= 0 || rate > 0xffff_ffff) {
    throw new RangeError(`WAV sample rate ${rate} is not a positive integer (Hz)`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 8) {
    throw new RangeError(`WAV channel count ${channels} is not 1–8`);
  }
  if (data.byteLength % (bytesPerSample * channels) !== 0) {
    throw new RangeError(
      `WAV data of ${data.byteLength} bytes is not whole ${bytesPerSample}-byte samples on ${channels} channels`,
    );
  }
  if (data.byteLength > maxChunkBytes) {
    throw new RangeError(`WAV data of ${data.byteLength} bytes exceeds the RIFF 4 GiB limit`);
  }
}

function writeTag(bytes: Uint8Array, at: number, tag: string): void {
  for (let i = 0; i < 4; i++) bytes[at + i] = tag.charCodeAt(i);
}

/**
 * Builds a RIFF/WAVE file (Microsoft RIFF/WAVE, RFC 2361) around the samples, without copying them
 * more than once into the result:
 * - `L16`: WAVE_FORMAT_PCM (1), 16 bits per sample, 16-byte `fmt ` chunk;
 * - `PCMU` / `PCMA`: WAVE_FORMAT_MULAW (7) / WAVE_FORMAT_ALAW (6), 8 bits per sample, 18-byte
 *   `fmt ` chunk (`cbSize` 0) and the `fact` chunk (sample frames per channel) that non-PCM
 *   formats require; the G.711 bytes go in unchanged, so the file holds exactly what was recorded.
 * The `data` chunk is padded to an even length as RIFF requires.
 * @returns the whole file.
 * @throws RangeError for a rate that is not a positive integer, channels outside 1–8, data that is
 *   not whole samples on every channel, or data over 4 GiB.
 */
export function buildWav(options: WavOptions): Uint8Array {
  const pcm = options.format === "L16";
  const bytesPerSample = pcm ? 2 : 1;
  checkOptions(options, bytesPerSample);
  const { rate, channels, data } = options;
  const fmtSize = pcm ? 16 : 18;
  const factBytes = pcm ? 0 : 12;
  const pad = data.byteLength & 1;
  const headerBytes = 12 + 8 + fmtSize + factBytes + 8;
  const out = new Uint8Array(headerBytes + data.byteLength + pad);
  const view = new DataView(out.buffer);
  writeTag(out, 0, "RIFF");
  view.setUint32(4, out.byteLength - 8, true);
  writeTag(out, 8, "WAVE");
  writeTag(out, 12, "fmt ");
  view.setUint32(16, fmtSize, true);
  view.setUint16(20, formatTags[options.format], true);
  view.setUint16(22, channels, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * channels * bytesPerSample, true);
  view.setUint16(32, channels * bytesPerSample, true);
  view.setUint16(34, bytesPerSample * 8, true);
  let at = 36;
  if (!pcm) {
    view.setUint16(at, 0, true);
    writeTag(out, at + 2, "fact");
    view.setUint32(at + 6, 4, true);
    view.setUint32(at + 10, data.byteLength / channels, true);
    at += 2 + factBytes;
  }
  writeTag(out, at, "data");
  view.setUint32(at + 4, data.byteLength, true);
  out.set(data, at + 8);
  return out;
}
