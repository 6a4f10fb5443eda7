import {
  RECORD_HEADER_BYTES,
  REPLAY_THRESHOLD_MS,
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
import { FrameReader } from "./frame-reader.ts";
import { type ItemOutput, type ItemSource, Render } from "./item-source.ts";
import type { StreamEndReason } from "./sink-types.ts";

/** Frame flags that carry over to EASP records unchanged (REPLAY is decided at send time). */
const PASSED_FLAGS = RecordFlags.Discontinuity | RecordFlags.Concealed | RecordFlags.Marker;

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

/**
 * Items of a per-participant session (one recorded stream, mono): `seq 1` = `stream.start`, the
 * frame with spool `idx` i = `seq i+1` (AUDIO or GAP record, 1:1), `stream.end` = `lastIdx + 2`.
 */
export class ParticipantSource implements ItemSource {
  readonly #spool: Spool;
  readonly #stream: StreamRecord;
  readonly #format: OutputFormat;
  readonly #converter: SampleConverter;
  readonly #reader: FrameReader;
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
  /** First frame of the stream, once known. */
  #first: FrameRecord | undefined;
  /** Set when the stream ended: the `stream.end` item. */
  #end: Omit<StreamEndMessage, "seq"> | undefined;
  #lastIdx = 0;

  constructor(spool: Spool, stream: StreamRecord, format: OutputFormat) {
    this.#spool = spool;
    this.#stream = stream;
    this.#format = format;
    this.#converter = new SampleConverter(stream.codec, format);
    this.#reader = new FrameReader(spool, stream.streamId);
    this.#header.streamId = stream.streamId;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  finalSeq(): number {
    return this.#end ? this.#lastIdx + 2 : 0;
  }

  lastAvailableSeq(): number {
    return this.#end ? this.#lastIdx + 2 : this.#reader.knownLast + 1;
  }

  hasContent(): boolean {
    return this.#end !== undefined || this.#reader.knownLast > 0;
  }

  streamDescs(): StreamDesc[] {
    return [participantStreamDesc(this.#stream, this.#format, this.#firstFrame()?.pos ?? 0)];
  }

  epochHintUs(): number {
    const first = this.#firstFrame();
    return first ? Math.round(first.captureUs - (first.pos * 1e6) / this.#stream.rate) : 0;
  }

  seek(seq: number): void {
    this.#nextSeq = Math.max(1, seq);
    this.#reader.seek(this.#nextSeq - 1);
  }

  next(out: ItemOutput): Render {
    const seq = this.#nextSeq;
    if (seq === 1) return this.#renderStart(out);
    if (this.#end && seq >= this.#lastIdx + 2) {
      if (seq > this.#lastIdx + 2) return Render.NotReady;
      const end: StreamEndMessage = { ...this.#end, seq };
      out.text(JSON.stringify(end));
      this.#nextSeq = seq + 1;
      return Render.Ready;
    }
    const frame = this.#reader.peek();
    if (!frame) return Render.NotReady;
    const audio = frame.kind === RecordKind.Audio;
    const payloadLen = audio ? frame.durationSamples * this.#format.bytesPerSample : 0;
    const offset = out.reserveRecord(
      RECORD_HEADER_BYTES + payloadLen,
      (frame.durationSamples * 1000) / this.#stream.rate,
    );
    if (offset < 0) return Render.Full;
    const header = this.#header;
    const replay = out.nowUs - frame.captureUs > REPLAY_THRESHOLD_MS * 1000 ? RecordFlags.Replay : 0;
    header.kind = frame.kind;
    header.flags = (frame.flags & PASSED_FLAGS) | replay;
    header.maskOrReason = audio ? 1 : frame.gapReason;
    header.seq = frame.idx + 1;
    header.pos = frame.pos;
    header.captureUs = frame.captureUs;
    header.durationSamples = frame.durationSamples;
    header.payloadLen = payloadLen;
    writeRecordHeader(out.view, offset, header);
    if (audio) this.#writePayload(frame, out.bytes, offset + RECORD_HEADER_BYTES);
    this.#reader.advance();
    this.#nextSeq = frame.idx + 2;
    return Render.Ready;
  }

  onFrame(frame: FrameRecord): void {
    if (frame.idx === 1) this.#first = frame;
    this.#reader.offer(frame);
  }

  onStreamEnded(stream: StreamRecord, reason: StreamEndReason): void {
    if (this.#end) return;
    this.#reader.syncLast();
    this.#lastIdx = this.#reader.knownLast;
    const last = this.#lastIdx > 0 ? this.#spool.readFrames(stream.streamId, this.#lastIdx, 1)[0] : undefined;
    const endPos = last ? last.pos + last.durationSamples : (this.#firstFrame()?.pos ?? 0);
    const endCaptureTime = last
      ? last.captureUs + Math.round((last.durationSamples * 1e6) / this.#stream.rate)
      : stream.endedUs || this.#stream.startedUs;
    this.#end = { type: "stream.end", v: 1, streamId: this.#stream.streamId, endPos, endCaptureTime, reason };
  }

  dispose(): void {}

  #renderStart(out: ItemOutput): Render {
    const first = this.#firstFrame();
    if (!first && !this.#end) return Render.NotReady;
    const start: StreamStartMessage = {
      type: "stream.start",
      v: 1,
      seq: 1,
      ...participantStreamDesc(this.#stream, this.#format, first?.pos ?? 0),
    };
    out.text(JSON.stringify(start));
    this.#nextSeq = 2;
    return Render.Ready;
  }

  #firstFrame(): FrameRecord | undefined {
    if (!this.#first && this.#reader.knownLast > 0)
      this.#first = this.#spool.readFrames(this.#stream.streamId, 1, 1)[0];
    return this.#first;
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
