import {
  RECORD_HEADER_BYTES,
  RecordFlags,
  type RecordHeader,
  RecordKind,
  type StreamDesc,
  type StreamEndMessage,
  type StreamStartMessage,
  writeRecordHeader,
} from "../easp/index.ts";
import type { FrameRecord, Spool, StreamRecord } from "../spool/index.ts";
import { type OutputFormat, SampleConverter } from "./audio-format.ts";
import type { CommitGate } from "./commit-gate.ts";
import { writeDiscardedGap } from "./discarded-gap.ts";
import { FrameReader } from "./frame-reader.ts";
import { type ItemOutput, type ItemSource, RESERVE_FULL, RESERVE_PACED, Render } from "./item-source.ts";
import type { SegmentOrigin } from "./segments.ts";
import type { StreamEndReason } from "./sink-types.ts";

/** Frame flags that carry over to EASP records unchanged (REPLAY is decided at send time). */
const PASSED_FLAGS = RecordFlags.Discontinuity | RecordFlags.Concealed | RecordFlags.Marker;
/** Frame flags a withheld AUDIO frame keeps as a GAP record (CONCEALED and MARKER describe audio it no longer carries). */
const WITHHELD_FLAGS = RecordFlags.Discontinuity;

/** Builds the mono {@link StreamDesc} of one recorded stream. */
export function participantStreamDesc(
  stream: StreamRecord,
  format: OutputFormat,
  firstPos: number,
): StreamDesc {
  return {
    streamId: stream.streamId,
    label: stream.label,
    codec: format.codec,
    rate: format.rate,
    channels: 1,
    channelMap: [
      {
        channel: 0,
        participantId: stream.participantId,
        siprecStreamId: stream.siprecStreamId,
        label: stream.label,
      },
    ],
    firstPos,
    clock: "arrival",
    recordMs: 20,
  };
}

/** Options of {@link ParticipantSource}. */
export interface ParticipantSourceOptions {
  spool: Spool;
  stream: StreamRecord;
  format: OutputFormat;
  /** Where the session starts: frame idx `first` (1 for segment 0), and its DISCARDED gap if any. */
  origin: SegmentOrigin;
  /** Call epoch T0, µs: estimates where the stream began when its first frames were purged. */
  epochUs: number;
  /** When uncommitted frames may go out (spool stalled). */
  gate: CommitGate;
}

/**
 * Items of a per-participant session (one recorded stream, mono). With `first` = the segment's
 * first frame idx and `d` = 1 when the segment opens with a DISCARDED gap (else 0): `seq 1` =
 * `stream.start`, `seq 2` = the GAP when `d` = 1, the frame with spool `idx` i = `seq i − first +
 * 2 + d` (AUDIO or GAP record, 1:1; an AUDIO frame the receiver does not want is a GAP
 * PAUSED_RECEIVER / DECLINED record with the same seq, see `WithheldAudio`), then `stream.end`.
 * Segment 0 starts at frame 1, so there frame i is `seq i + 1`.
 */
export class ParticipantSource implements ItemSource {
  readonly #spool: Spool;
  readonly #stream: StreamRecord;
  readonly #format: OutputFormat;
  readonly #converter: SampleConverter;
  readonly #reader: FrameReader;
  readonly #first: number;
  readonly #discardedFromPos: number;
  readonly #epochUs: number;
  readonly #gate: CommitGate;
  /** `seq` of frame `first`. */
  readonly #frameBase: number;
  /** Reused record header (no allocation per frame). */
  readonly #header: RecordHeader = {
    kind: RecordKind.Audio,
    flags: 0,
    maskOrReason: 0,
    streamId: 0,
    seq: 0,
    pos: 0,
    captureUs: 0,
    durationSamples: 0,
    payloadLen: 0,
  };
  #nextSeq = 1;
  /** Frame `first`, once known. */
  #firstFrame: FrameRecord | undefined;
  /** Set when the stream ended or the session was cut: the `stream.end` item. */
  #end: Omit<StreamEndMessage, "seq"> | undefined;
  /** Last frame idx of the session once it ended or was cut. */
  #lastIdx = 0;
  /** End (pos + duration) of the newest frame seen, samples; 0 until known. */
  #newestEnd = 0;

  constructor(options: ParticipantSourceOptions) {
    this.#spool = options.spool;
    this.#stream = options.stream;
    this.#format = options.format;
    this.#first = options.origin.first;
    this.#discardedFromPos = options.origin.discardedFromPos;
    this.#epochUs = options.epochUs;
    this.#frameBase = this.#discardedFromPos >= 0 ? 3 : 2;
    this.#converter = new SampleConverter(options.stream.codec, options.format);
    this.#gate = options.gate;
    this.#reader = new FrameReader(options.spool, options.stream.streamId, options.gate);
    this.#reader.seek(this.#first);
    this.#header.streamId = options.stream.streamId;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  finalSeq(): number {
    return this.#end ? this.#seqOf(this.#lastIdx) + 1 : 0;
  }

  lastAvailableSeq(): number {
    return this.#end ? this.finalSeq() : this.#seqOf(Math.max(this.#reader.knownLast, this.#first - 1));
  }

  firstRetainedSeq(): number {
    const index = this.firstRetainedIndex();
    if (index === this.#first) return 1;
    return this.#end && index > this.#lastIdx ? this.finalSeq() : this.#seqOf(index);
  }

  firstRetainedIndex(): number {
    const last = this.#knownLastIdx();
    if (last < this.#first) return this.#first;
    const frame = this.#spool.readFrames(this.#stream.streamId, this.#first, 1)[0];
    return frame ? frame.idx : last + 1;
  }

  hasContent(): boolean {
    return this.#end !== undefined || this.#reader.knownLast >= this.#first;
  }

  isLive(): boolean {
    return this.#end === undefined;
  }

  backlogMs(ackedSeq: number): number {
    if (ackedSeq >= this.lastAvailableSeq()) return 0;
    const seq = ackedSeq + 1;
    let fromPos = this.startPos();
    if (seq >= this.#frameBase) {
      const frame = this.#spool.readFrames(this.#stream.streamId, this.#idxOf(seq), 1)[0];
      if (frame) fromPos = frame.pos;
    }
    return Math.max(0, ((this.#newestEndPos() - fromPos) * 1000) / this.#stream.rate);
  }

  captureUsOf(seq: number): number | undefined {
    if (seq > this.lastAvailableSeq()) return undefined;
    if (this.#end && seq >= this.finalSeq()) return this.#end.endCaptureTime;
    const idx = this.#idxOf(Math.max(seq, this.#frameBase));
    const frame = this.#spool.readFrames(this.#stream.streamId, idx, 1)[0];
    return frame?.captureUs;
  }

  streamDescs(): StreamDesc[] {
    return [participantStreamDesc(this.#stream, this.#format, this.startPos())];
  }

  epochHintUs(): number {
    const first = this.#firstFrameRecord();
    return first ? Math.round(first.captureUs - (first.pos * 1e6) / this.#stream.rate) : 0;
  }

  seek(seq: number): void {
    this.#nextSeq = Math.max(1, seq);
    this.#reader.seek(Math.max(this.#first, this.#idxOf(this.#nextSeq)));
  }

  next(out: ItemOutput): Render {
    const seq = this.#nextSeq;
    if (seq === 1) return this.#renderStart(out);
    if (seq < this.#frameBase) return this.#renderDiscarded(out);
    if (this.#end && seq >= this.finalSeq()) {
      if (seq > this.finalSeq()) return Render.NotReady;
      const end: StreamEndMessage = { ...this.#end, seq };
      out.text(JSON.stringify(end));
      this.#nextSeq = seq + 1;
      return Render.Ready;
    }
    const frame = this.#reader.peek();
    if (!frame) return this.#reader.blocked ? Render.Uncommitted : Render.NotReady;
    const recordSeq = this.#seqOf(frame.idx);
    const withheld = frame.kind === RecordKind.Audio ? out.withheldReason(recordSeq, frame.captureUs) : 0;
    const audio = frame.kind === RecordKind.Audio && withheld === 0;
    const payloadLen = audio ? frame.durationSamples * this.#format.bytesPerSample : 0;
    const offset = out.reserveRecord(
      RECORD_HEADER_BYTES + payloadLen,
      withheld === 0 ? (frame.durationSamples * 1000) / this.#stream.rate : 0,
      frame.captureUs,
    );
    if (offset === RESERVE_FULL) return Render.Full;
    if (offset === RESERVE_PACED) return Render.Paced;
    const header = this.#header;
    header.kind = audio ? RecordKind.Audio : RecordKind.Gap;
    header.flags = (frame.flags & (withheld === 0 ? PASSED_FLAGS : WITHHELD_FLAGS)) | out.replayFlag;
    header.maskOrReason = audio ? 1 : withheld || frame.gapReason;
    header.seq = recordSeq;
    header.pos = frame.pos;
    header.captureUs = frame.captureUs;
    header.durationSamples = frame.durationSamples;
    header.payloadLen = payloadLen;
    writeRecordHeader(out.view, offset, header);
    if (audio) this.#writePayload(frame, out.bytes, offset + RECORD_HEADER_BYTES);
    this.#reader.advance();
    this.#nextSeq = header.seq + 1;
    return Render.Ready;
  }

  liveEdge(): number {
    return this.#knownLastIdx() + 1;
  }

  startPos(): number {
    if (this.#discardedFromPos >= 0) return this.#discardedFromPos;
    const first = this.#firstFrameRecord();
    if (first) return first.pos;
    if (this.#end) return this.#end.endPos;
    return this.#estimatedStartPos();
  }

  cut(cutAt: number, reason: StreamEndReason): void {
    if (this.#end) return;
    this.#setEnd(cutAt - 1, reason, 0);
  }

  onFrame(frame: FrameRecord): void {
    if (frame.idx === this.#first) this.#firstFrame = frame;
    const end = frame.pos + frame.durationSamples;
    if (end > this.#newestEnd) this.#newestEnd = end;
    this.#reader.offer(frame);
  }

  onStreamEnded(stream: StreamRecord, reason: StreamEndReason): void {
    if (this.#end) return;
    this.#reader.syncLast();
    this.#setEnd(this.#reader.knownLast, reason, stream.endedUs);
  }

  dispose(): void {}

  /** Fixes the session's last frame and its `stream.end` (position and capture time just past it). */
  #setEnd(lastIdx: number, reason: StreamEndReason, endedUs: number): void {
    this.#lastIdx = lastIdx;
    const last = lastIdx > 0 ? this.#spool.readFrames(this.#stream.streamId, lastIdx, 1)[0] : undefined;
    const ownFirst = lastIdx >= this.#first ? this.#firstFrameRecord() : undefined;
    const endPos = last ? last.pos + last.durationSamples : (ownFirst?.pos ?? this.#estimatedStartPos());
    const endCaptureTime = last
      ? last.captureUs + Math.round((last.durationSamples * 1e6) / this.#stream.rate)
      : endedUs || this.#stream.endedUs || this.#stream.startedUs;
    this.#end = { type: "stream.end", v: 1, streamId: this.#stream.streamId, endPos, endCaptureTime, reason };
    if (endPos > this.#newestEnd) this.#newestEnd = endPos;
  }

  #renderStart(out: ItemOutput): Render {
    const first = this.#firstFrameRecord();
    if (!first && !this.#end) return Render.NotReady;
    if (first && this.#spool.committedIdx(this.#stream.streamId) < first.idx && !this.#gate.admits(first)) {
      return Render.Uncommitted;
    }
    const start: StreamStartMessage = {
      type: "stream.start",
      v: 1,
      seq: 1,
      ...participantStreamDesc(this.#stream, this.#format, this.startPos()),
    };
    out.text(JSON.stringify(start));
    this.#nextSeq = 2;
    return Render.Ready;
  }

  /** The DISCARDED gap that opens a segment after an ack regression: from the session start to frame `first`. */
  #renderDiscarded(out: ItemOutput): Render {
    const first = this.#firstFrameRecord();
    const to = first
      ? { pos: first.pos, captureUs: first.captureUs }
      : this.#end && { pos: this.#end.endPos, captureUs: this.#end.endCaptureTime };
    if (!to) return Render.NotReady;
    const durationSamples = Math.max(0, to.pos - this.#discardedFromPos);
    const captureUs = to.captureUs - Math.round((durationSamples * 1e6) / this.#stream.rate);
    const span = { pos: this.#discardedFromPos, durationSamples, captureUs, rate: this.#stream.rate };
    if (!writeDiscardedGap(out, this.#header, span)) return Render.Full;
    this.#nextSeq = 3;
    return Render.Ready;
  }

  #seqOf(idx: number): number {
    return idx - this.#first + this.#frameBase;
  }

  #idxOf(seq: number): number {
    return seq - this.#frameBase + this.#first;
  }

  #knownLastIdx(): number {
    if (this.#end) return this.#lastIdx;
    this.#reader.syncLast();
    return this.#reader.knownLast;
  }

  #newestEndPos(): number {
    if (this.#end) return this.#end.endPos;
    if (this.#newestEnd === 0 && this.#reader.knownLast >= this.#first) {
      const last = this.#spool.readFrames(this.#stream.streamId, this.#reader.knownLast, 1)[0];
      if (last) this.#newestEnd = last.pos + last.durationSamples;
    }
    return this.#newestEnd;
  }

  /** Where the stream's timeline began, from its start time (when its first frames are gone). */
  #estimatedStartPos(): number {
    const us = Math.max(0, this.#stream.startedUs - this.#epochUs);
    return Math.round((us * this.#stream.rate) / 1e6);
  }

  #firstFrameRecord(): FrameRecord | undefined {
    if (!this.#firstFrame && this.#reader.knownLast >= this.#first) {
      const frame = this.#spool.readFrames(this.#stream.streamId, this.#first, 1)[0];
      if (frame?.idx === this.#first) this.#firstFrame = frame;
    }
    return this.#firstFrame;
  }

  #writePayload(frame: FrameRecord, bytes: Uint8Array, at: number): void {
    const width = this.#format.bytesPerSample;
    const have = Math.min(frame.payload.byteLength, frame.durationSamples);
    this.#converter.write(frame.payload, 0, have, bytes, at, width);
    if (have < frame.durationSamples) {
      this.#converter.fillSilence(bytes, at + have * width, frame.durationSamples - have, width);
    }
  }
}
