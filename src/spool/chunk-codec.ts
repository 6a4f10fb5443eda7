import { FrameKind } from "../lib/index.ts";
import type { FrameInput, FrameRecord } from "./spool-types.ts";

/**
 * The `data` blob of a `chunks` row: the consecutive frames `first_idx..last_idx` of one stream.
 * Little-endian; f64 for values that may exceed 32 bits (extended RTP seq, pos, capture µs).
 *
 * ```
 * chunk   := format:u8 reserved:u8[3] count:u32 body
 * format 1 (frames): count × (frameHead, payload bytes)
 *   frameHead := kind:u8 flags:u8 gapReason:u8 mode:u8 durationSamples:u32 payloadLength:u32 then
 *     mode 0 (follows the previous frame: rtpSeq + 1, pos + its duration): captureDeltaUs:i32
 *     mode 1 (first frame, or anything else):                    rtpSeq:f64 pos:f64 captureUs:f64
 * format 2 (run of payload-less GAP frames): a mode-1 frameHead of the first frame, captureStepUs:f64;
 *   frame i (from 0) has
 *   rtpSeq + i, pos + i × durationSamples, captureUs + i × captureStepUs and the same kind, flags,
 *   reason and duration; no payload. `count` is not used: a run grows by raising the row's
 *   `last_idx` alone.
 * ```
 * A 20 ms G.711 frame that follows its predecessor takes 16 bytes besides its payload, so five of
 * them (one commit) make a ~0.9 KB row and four rows fill a 4 KiB page. Runs hold the DISCARDED gaps
 * written while the spool is full (or any uniform gaps), so a full spool grows by about one row per
 * stream, not one per frame.
 */
export const ChunkFormat = { Frames: 1, Run: 2 } as const;

const chunkHeaderBytes = 8;
const headBytes = 12;
const followsBytes = headBytes + 4;
const fullBytes = headBytes + 24;
const runBytes = chunkHeaderBytes + fullBytes + 8;
const modeFollows = 0;
const modeFull = 1;
const noPayload = new Uint8Array(0);

/** Encodes `frames[from..to)` as a format-1 chunk. */
export function encodeFrames(frames: readonly FrameInput[], from: number, to: number): Uint8Array {
  let size = chunkHeaderBytes;
  for (let i = from; i < to; i++) {
    const f = frames[i]!;
    size += (i > from && follows(frames[i - 1]!, f) ? followsBytes : fullBytes) + f.payload.byteLength;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = ChunkFormat.Frames;
  view.setUint32(4, to - from, true);
  let at = chunkHeaderBytes;
  for (let i = from; i < to; i++) {
    const f = frames[i]!;
    const prev = frames[i - 1];
    if (i > from && prev !== undefined && follows(prev, f)) {
      writeHead(view, at, f, modeFollows);
      view.setInt32(at + headBytes, f.captureUs - prev.captureUs, true);
      at += followsBytes;
    } else {
      writeFull(view, at, f);
      at += fullBytes;
    }
    out.set(f.payload, at);
    at += f.payload.byteLength;
  }
  return out;
}

/** Encodes a run starting with `first`, each next frame `captureStepUs` later (format 2). */
export function encodeRun(first: FrameInput, captureStepUs: number): Uint8Array {
  const out = new Uint8Array(runBytes);
  const view = new DataView(out.buffer);
  out[0] = ChunkFormat.Run;
  view.setUint32(4, 1, true);
  writeFull(view, chunkHeaderBytes, first);
  view.setFloat64(chunkHeaderBytes + fullBytes, captureStepUs, true);
  return out;
}

/** Whether a frame can be stored in a run: a GAP without payload. */
export function isRunnable(f: FrameInput): boolean {
  return f.kind === FrameKind.Gap && f.payload.byteLength === 0;
}

/** Whether `next` follows `prev` in a run whose capture step is `captureStepUs`. */
export function continuesRun(prev: FrameInput, next: FrameInput, captureStepUs: number): boolean {
  return (
    isRunnable(next) &&
    next.gapReason === prev.gapReason &&
    next.flags === prev.flags &&
    next.durationSamples === prev.durationSamples &&
    next.rtpSeq === prev.rtpSeq + 1 &&
    next.pos === prev.pos + prev.durationSamples &&
    next.captureUs === prev.captureUs + captureStepUs
  );
}

/**
 * Appends to `out` the frames of a chunk (`firstIdx..lastIdx` of `streamId`) with idx ≥ `fromIdx`,
 * until `out` holds `limit` frames. Payloads are views into `data` (no copy).
 */
export function decodeChunk(
  streamId: number,
  firstIdx: number,
  lastIdx: number,
  data: Uint8Array,
  fromIdx: number,
  out: FrameRecord[],
  limit: number,
): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const start = Math.max(firstIdx, fromIdx);
  if (data[0] === ChunkFormat.Run) {
    const stepUs = view.getFloat64(chunkHeaderBytes + fullBytes, true);
    for (let idx = start; idx <= lastIdx && out.length < limit; idx++) {
      const f = readHead(view, chunkHeaderBytes, streamId, idx);
      const i = idx - firstIdx;
      readValues(view, chunkHeaderBytes, f);
      f.rtpSeq += i;
      f.pos += i * f.durationSamples;
      f.captureUs += i * stepUs;
      out.push(f);
    }
    return;
  }
  let at = chunkHeaderBytes;
  let prev: FrameRecord | undefined;
  for (let idx = firstIdx; idx <= lastIdx && out.length < limit; idx++) {
    const f = readHead(view, at, streamId, idx);
    const length = view.getUint32(at + 8, true);
    if (view.getUint8(at + 3) === modeFollows && prev !== undefined) {
      f.rtpSeq = prev.rtpSeq + 1;
      f.pos = prev.pos + prev.durationSamples;
      f.captureUs = prev.captureUs + view.getInt32(at + headBytes, true);
      at += followsBytes;
    } else {
      readValues(view, at, f);
      at += fullBytes;
    }
    if (length > 0) f.payload = data.subarray(at, at + length);
    at += length;
    prev = f;
    if (idx >= start) out.push(f);
  }
}

/** Whether `f` can be stored in mode 0 after `prev`. */
function follows(prev: FrameInput, f: FrameInput): boolean {
  if (f.rtpSeq !== prev.rtpSeq + 1 || f.pos !== prev.pos + prev.durationSamples) return false;
  const delta = f.captureUs - prev.captureUs;
  return Number.isInteger(delta) && delta >= -0x80000000 && delta <= 0x7fffffff;
}

function writeHead(view: DataView, at: number, f: FrameInput, mode: number): void {
  view.setUint8(at, f.kind);
  view.setUint8(at + 1, f.flags);
  view.setUint8(at + 2, f.gapReason);
  view.setUint8(at + 3, mode);
  view.setUint32(at + 4, f.durationSamples, true);
  view.setUint32(at + 8, f.payload.byteLength, true);
}

function writeFull(view: DataView, at: number, f: FrameInput): void {
  writeHead(view, at, f, modeFull);
  view.setFloat64(at + headBytes, f.rtpSeq, true);
  view.setFloat64(at + headBytes + 8, f.pos, true);
  view.setFloat64(at + headBytes + 16, f.captureUs, true);
}

function readHead(view: DataView, at: number, streamId: number, idx: number): FrameRecord {
  return {
    streamId,
    idx,
    kind: view.getUint8(at) as FrameKind,
    flags: view.getUint8(at + 1),
    gapReason: view.getUint8(at + 2),
    rtpSeq: 0,
    pos: 0,
    captureUs: 0,
    durationSamples: view.getUint32(at + 4, true),
    payload: noPayload,
  };
}

function readValues(view: DataView, at: number, f: FrameRecord): void {
  f.rtpSeq = view.getFloat64(at + headBytes, true);
  f.pos = view.getFloat64(at + headBytes + 8, true);
  f.captureUs = view.getFloat64(at + headBytes + 16, true);
}
