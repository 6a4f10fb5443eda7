import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { type EaspCodec, silenceByte } from "../../easp/index.ts";
import { ReceiverError } from "./errors.ts";

/** Format of a WAV file written by the receiver. */
export interface WavFormat {
  /** `PCMU` → WAVE_FORMAT_MULAW (7), `PCMA` → WAVE_FORMAT_ALAW (6), `L16` → PCM (1), 16-bit little-endian. */
  codec: EaspCodec;
  /** Channels (interleaved samples when > 1). */
  channels: number;
  /** Sample rate, Hz. */
  rate: number;
}

const formatTag: Record<EaspCodec, number> = { L16: 1, PCMA: 6, PCMU: 7 };

/**
 * Builds the RIFF/WAVE header (Microsoft RIFF spec; non-PCM formats get an 18-byte `fmt ` with
 * `cbSize = 0` and a `fact` chunk): 44 bytes for PCM, 58 for G.711.
 */
function buildHeader(format: WavFormat, dataBytes: number): Uint8Array {
  const pcm = format.codec === "L16";
  const bytesPerSample = pcm ? 2 : 1;
  const fmtSize = pcm ? 16 : 18;
  const headerBytes = 12 + 8 + fmtSize + (pcm ? 0 : 12) + 8;
  const bytes = new Uint8Array(headerBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, text: string): void => {
    for (let i = 0; i < text.length; i++) bytes[at + i] = text.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, headerBytes - 8 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, fmtSize, true);
  view.setUint16(20, formatTag[format.codec], true);
  view.setUint16(22, format.channels, true);
  view.setUint32(24, format.rate, true);
  view.setUint32(28, format.rate * format.channels * bytesPerSample, true);
  view.setUint16(32, format.channels * bytesPerSample, true);
  view.setUint16(34, bytesPerSample * 8, true);
  let at = 36;
  if (!pcm) {
    view.setUint16(at, 0, true);
    ascii(at + 2, "fact");
    view.setUint32(at + 6, 4, true);
    view.setUint32(at + 10, Math.floor(dataBytes / format.channels), true);
    at += 14;
  }
  ascii(at, "data");
  view.setUint32(at + 4, dataBytes, true);
  return bytes;
}

/** Offset of the first data byte of our header layout (see {@link buildHeader}). */
function dataOffsetOf(format: WavFormat): number {
  return format.codec === "L16" ? 44 : 58;
}

/**
 * An append-only WAV file whose header is patched with the final sizes on {@link sync}, so the
 * file is a valid WAV after every commit and can be reopened to continue after a restart.
 */
export class WavFile {
  /** Path of the file. */
  readonly path: string;
  /** Its format. */
  readonly format: WavFormat;
  readonly #fd: number;
  readonly #dataOffset: number;
  #dataBytes: number;
  #closed = false;

  private constructor(path: string, format: WavFormat, fd: number, dataBytes: number) {
    this.path = path;
    this.format = format;
    this.#fd = fd;
    this.#dataOffset = dataOffsetOf(format);
    this.#dataBytes = dataBytes;
  }

  /** Creates (or replaces) a WAV file with no data. */
  static create(path: string, format: WavFormat): WavFile {
    const fd = openSync(path, "w+");
    writeSync(fd, buildHeader(format, 0), 0, undefined, 0);
    return new WavFile(path, format, fd, 0);
  }

  /**
   * Reopens a WAV file written before and cuts it to `dataBytes` of data (what was committed), so
   * appending continues exactly after the last committed record.
   * @throws ReceiverError `RECEIVER_STATE` if the file is missing, shorter than `dataBytes`, or not ours.
   */
  static reopen(path: string, format: WavFormat, dataBytes: number): WavFile {
    let fd: number;
    try {
      fd = openSync(path, "r+");
    } catch (err) {
      throw new ReceiverError("RECEIVER_STATE", `cannot reopen ${path}`, { cause: err });
    }
    const dataOffset = dataOffsetOf(format);
    const expected = buildHeader(format, 0);
    const actual = new Uint8Array(expected.byteLength);
    readSync(fd, actual, 0, actual.byteLength, 0);
    const sameFormat = actual.subarray(8, 36).every((byte, i) => byte === expected[8 + i]);
    if (!sameFormat || fstatSync(fd).size < dataOffset + dataBytes) {
      closeSync(fd);
      throw new ReceiverError("RECEIVER_STATE", `${path} does not hold the ${dataBytes} committed bytes`);
    }
    ftruncateSync(fd, dataOffset + dataBytes);
    return new WavFile(path, format, fd, dataBytes);
  }

  /** Data bytes written so far (committed or not). */
  get dataBytes(): number {
    return this.#dataBytes;
  }

  /** Appends sample bytes (already in the file's byte order). */
  append(bytes: Uint8Array): void {
    writeSync(this.#fd, bytes, 0, bytes.byteLength, this.#dataOffset + this.#dataBytes);
    this.#dataBytes += bytes.byteLength;
  }

  /** Appends `sampleFrames` frames of codec silence (all channels). */
  appendSilence(sampleFrames: number): void {
    const width = this.format.codec === "L16" ? 2 : 1;
    const total = sampleFrames * this.format.channels * width;
    const chunk = new Uint8Array(Math.min(total, 64 * 1024)).fill(silenceByte(this.format.codec));
    for (let left = total; left > 0; left -= chunk.byteLength) {
      this.append(left >= chunk.byteLength ? chunk : chunk.subarray(0, left));
    }
  }

  /** Writes the sizes into the header and flushes the file to disk (fsync). */
  sync(): void {
    const header = buildHeader(this.format, this.#dataBytes);
    writeSync(this.#fd, header, 0, header.byteLength, 0);
    fsyncSync(this.#fd);
  }

  /** Syncs and closes the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.sync();
    closeSync(this.#fd);
  }
}
