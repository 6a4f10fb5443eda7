import {
  EaspGapReason,
  RECORD_HEADER_BYTES,
  RecordFlags,
  type RecordHeader,
  RecordKind,
  type StreamDesc,
  type StreamEndMessage,
  type StreamStartMessage,
  writeRecordHeader,
} from "../easp/index.ts";
import type { Clock, Logger, TimerHandle } from "../lib/index.ts";
import type { FrameRecord, Spool, StreamRecord } from "../spool/index.ts";
import { type OutputFormat, SampleConverter } from "./audio-format.ts";
import type { CommitGate } from "./commit-gate.ts";
import { writeDiscardedGap } from "./discarded-gap.ts";
import { FrameReader, findFrameEndingAfter } from "./frame-reader.ts";
import { type ItemOutput, type ItemSource, RESERVE_FULL, RESERVE_PACED, Render } from "./item-source.ts";
import type { SegmentOrigin } from "./segments.ts";
import type { StreamEndReason } from "./sink-types.ts";
import { mixSlot, SLOT_CONCEALED, SLOT_UNCOMMITTED, slotCoverage } from "./slot-mixer.ts";

/** Stream id of the single stream of an interleaved session. */
export const INTERLEAVED_STREAM_ID = 1;
/** Output record duration, ms (EASP live default `recordMs`, 1:1 with the usual RTP ptime). */
export const SLOT_MS = 20;

/** One recorded stream as one channel of the interleaved output. */
interface Channel {
  stream: StreamRecord;
  reader: FrameReader;
  converter: SampleConverter;
  /** End (pos + duration) of the latest frame seen live, samples. */
  frontier: number;
  ended: boolean;
}

/** Options of {@link InterleavedSource}. */
export interface InterleavedSourceOptions {
  spool: Spool;
  /** The call's streams, already in channel order (element i = channel i). */
  streams: StreamRecord[];
  format: OutputFormat;
  /** Call epoch T0, µs since the Unix epoch: slot k is captured at `epochUs + k·20 ms`. */
  epochUs: number;
  /** Where the session starts: slot `first` (0 for segment 0), and its DISCARDED gap if any. */
  origin: SegmentOrigin;
  /** When uncommitted frames may go out (spool stalled). */
  gate: CommitGate;
  /** How long a slot waits for a lagging channel, ms. */
  holdBackMs: number;
  clock: Clock;
  /** Where late frames are reported. */
  logger: Logger;
  /** Called when slots became ready outside {@link InterleavedSource.onFrame} (hold-back timer). */
  onReady: () => void;
}

/**
 * Items of an interleaved session: one N-channel stream on a fixed 20 ms grid from the call epoch.
 * `seq 1` = `stream.start`; with `first` = the segment's first slot and `d` = 1 when it opens with a
 * DISCARDED gap (`seq 2`), record k (pos `[k·160, (k+1)·160)` at 8 kHz) = `seq k − first + 2 + d`
 * (segment 0: `seq k+2`), every slot exactly one record: AUDIO with a `channelMask` bit per channel
 * that had media (the rest codec silence, flag CONCEALED), or GAP NO_MEDIA when no channel had
 * media; then `stream.end`. A slot the receiver does not want (paused span, `discardBefore`) is a
 * GAP PAUSED_RECEIVER / DECLINED record in its place (see `WithheldAudio`).
 * Channel frames are placed by `pos`, sample-accurately (a frame may straddle two slots).
 *
 * A slot is released once every channel has passed its end, once the leading channel is
 * `holdBackMs` past it, when every channel stalls for `holdBackMs` of wall time, or when the
 * streams ended. A slot's content is a function of the spool; only a frame arriving after its
 * slot was released (later than the hold-back) can make a re-read differ from what was sent live:
 * those are counted in {@link lateFrames}.
 */
export class InterleavedSource implements ItemSource {
  readonly #spool: Spool;
  readonly #channels: Channel[];
  readonly #format: OutputFormat;
  readonly #epochUs: number;
  readonly #slotSamples: number;
  readonly #holdBackSamples: number;
  readonly #holdBackMs: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #onReady: () => void;
  readonly #header: RecordHeader = {
    kind: RecordKind.Audio,
    flags: 0,
    maskOrReason: 0,
    streamId: INTERLEAVED_STREAM_ID,
    seq: 0,
    pos: 0,
    captureUs: 0,
    durationSamples: 0,
    payloadLen: 0,
  };
  #nextSeq = 1;
  /** First slot of the session. */
  readonly #first: number;
  /** Start of the leading DISCARDED gap, samples, or -1. */
  readonly #discardedFromPos: number;
  /** `seq` of slot `first`. */
  readonly #frameBase: number;
  /** Slots released so far (slots first … readySlots-1 may be rendered). */
  #readySlots: number;
  /** Slot count (end, exclusive) once every stream ended or the session was cut, else -1. */
  #totalSlots = -1;
  /** Highest frame end over all channels, samples. */
  #leading = 0;
  #holdTimer: TimerHandle | undefined;
  /** `#leading` when the hold timer was armed: what it releases when it fires. */
  #armedLeading = 0;
  #endReason: StreamEndReason = "bye";
  /** Frames that started in an already released slot (their early part was not sent live). */
  lateFrames = 0;

  constructor(options: InterleavedSourceOptions) {
    this.#spool = options.spool;
    this.#format = options.format;
    this.#epochUs = options.epochUs;
    this.#slotSamples = (options.format.rate * SLOT_MS) / 1000;
    this.#holdBackMs = options.holdBackMs;
    this.#holdBackSamples = Math.round((options.holdBackMs * options.format.rate) / 1000);
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#onReady = options.onReady;
    this.#first = options.origin.first;
    this.#discardedFromPos = options.origin.discardedFromPos;
    this.#frameBase = this.#discardedFromPos >= 0 ? 3 : 2;
    this.#readySlots = this.#first;
    this.#leading = this.#first * this.#slotSamples;
    this.#channels = options.streams.map((stream) => ({
      stream,
      reader: new FrameReader(options.spool, stream.streamId, options.gate),
      converter: new SampleConverter(stream.codec, options.format),
      frontier: this.#leading,
      ended: false,
    }));
    this.#catchUpWithSpool();
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  finalSeq(): number {
    return this.#totalSlots >= 0 ? this.#seqOf(this.#totalSlots) : 0;
  }

  lastAvailableSeq(): number {
    return this.#totalSlots >= 0 ? this.finalSeq() : this.#seqOf(this.#readySlots) - 1;
  }

  firstRetainedSeq(): number {
    const slot = this.firstRetainedIndex();
    if (slot === this.#first) return 1;
    return this.#totalSlots >= 0 && slot >= this.#totalSlots ? this.finalSeq() : this.#seqOf(slot);
  }

  firstRetainedIndex(): number {
    let purgedTo = 0;
    for (const { stream } of this.#channels) {
      const first = this.#spool.readFrames(stream.streamId, 1, 1)[0];
      if (first && first.idx > 1) purgedTo = Math.max(purgedTo, first.pos);
      else if (!first && this.#spool.lastIdx(stream.streamId) > 0) purgedTo = Number.POSITIVE_INFINITY;
    }
    if (purgedTo === Number.POSITIVE_INFINITY) return Math.max(this.#first, this.#newestSlot());
    return Math.max(this.#first, Math.ceil(purgedTo / this.#slotSamples));
  }

  hasContent(): boolean {
    return true;
  }

  isLive(): boolean {
    return this.#totalSlots < 0;
  }

  backlogMs(ackedSeq: number): number {
    const nextSlot = ackedSeq < this.#frameBase ? this.#first : ackedSeq - this.#frameBase + this.#first + 1;
    return Math.max(0, this.#newestSlot() - nextSlot) * SLOT_MS;
  }

  captureUsOf(seq: number): number | undefined {
    if (seq > this.lastAvailableSeq()) return undefined;
    const pos = seq < this.#frameBase ? this.startPos() : this.#slotOf(seq) * this.#slotSamples;
    return this.#epochUs + Math.round((pos * 1e6) / this.#format.rate);
  }

  liveEdge(): number {
    return this.#readySlots;
  }

  startPos(): number {
    return this.#discardedFromPos >= 0 ? this.#discardedFromPos : this.#first * this.#slotSamples;
  }

  cut(cutAt: number, reason: StreamEndReason): void {
    if (this.#totalSlots >= 0) return;
    this.dispose();
    this.#totalSlots = Math.max(this.#first, cutAt);
    this.#readySlots = this.#totalSlots;
    this.#endReason = reason;
  }

  streamDescs(): StreamDesc[] {
    return [
      {
        streamId: INTERLEAVED_STREAM_ID,
        label: "interleaved",
        codec: this.#format.codec,
        rate: this.#format.rate,
        channels: this.#channels.length,
        channelMap: this.#channels.map(({ stream }, channel) => ({
          channel,
          participantId: stream.participantId,
          siprecStreamId: stream.siprecStreamId,
          label: stream.label,
        })),
        firstPos: this.startPos(),
        clock: "arrival",
        recordMs: SLOT_MS,
      },
    ];
  }

  epochHintUs(): number {
    return this.#epochUs;
  }

  seek(seq: number): void {
    this.#nextSeq = Math.max(1, seq);
    const slotStart = this.#slotOf(this.#nextSeq) * this.#slotSamples;
    for (const channel of this.#channels) {
      channel.reader.seek(findFrameEndingAfter(this.#spool, channel.stream.streamId, slotStart));
    }
  }

  next(out: ItemOutput): Render {
    const seq = this.#nextSeq;
    if (seq === 1) {
      const start: StreamStartMessage = {
        type: "stream.start",
        v: 1,
        seq,
        ...(this.streamDescs()[0] as StreamDesc),
      };
      out.text(JSON.stringify(start));
      this.#nextSeq = 2;
      return Render.Ready;
    }
    if (seq < this.#frameBase) return this.#renderDiscarded(out);
    const slot = this.#slotOf(seq);
    if (this.#totalSlots >= 0 && slot >= this.#totalSlots) {
      if (slot > this.#totalSlots) return Render.NotReady;
      out.text(JSON.stringify(this.#endMessage(seq)));
      this.#nextSeq = seq + 1;
      return Render.Ready;
    }
    if (slot >= this.#readySlots) return Render.NotReady;
    return this.#renderSlot(out, seq, slot);
  }

  onFrame(frame: FrameRecord): void {
    const channel = this.#channelOf(frame.streamId);
    if (!channel) return;
    channel.reader.offer(frame);
    const end = frame.pos + frame.durationSamples;
    if (end > channel.frontier) channel.frontier = end;
    if (end > this.#leading) this.#leading = end;
    if (frame.pos < this.#readySlots * this.#slotSamples) this.#countLate(frame);
    this.#release();
  }

  onStreamEnded(stream: StreamRecord, reason: StreamEndReason): void {
    const channel = this.#channelOf(stream.streamId);
    if (!channel || channel.ended) return;
    channel.ended = true;
    channel.reader.syncLast();
    if (this.#totalSlots < 0) this.#endReason = reason;
    if (this.#channels.every((c) => c.ended)) this.#finish();
    else this.#release();
  }

  dispose(): void {
    this.#clock.clearTimer(this.#holdTimer);
    this.#holdTimer = undefined;
  }

  /**
   * Takes the channels' frontiers from the frames the spool already holds (a unit built after the
   * call's first frame: routed late, a continuation, a recovery) and releases what they cover.
   */
  #catchUpWithSpool(): void {
    for (const channel of this.#channels) {
      const { streamId } = channel.stream;
      const lastIdx = this.#spool.lastIdx(streamId);
      const last = lastIdx > 0 ? this.#spool.readFrames(streamId, lastIdx, 1)[0] : undefined;
      if (!last) continue;
      const end = last.pos + last.durationSamples;
      if (end > channel.frontier) channel.frontier = end;
      if (end > this.#leading) this.#leading = end;
    }
    this.#release();
  }

  #countLate(frame: FrameRecord): void {
    this.lateFrames += 1;
    if (this.lateFrames === 1 || this.lateFrames % 1000 === 0) {
      this.#log.warn(
        "frame arrived after its interleaved slot was released (live output had silence there)",
        {
          code: "SINK_LATE_FRAME",
          streamId: frame.streamId,
          pos: frame.pos,
          lateFrames: this.lateFrames,
        },
      );
    }
  }

  #channelOf(streamId: number): Channel | undefined {
    for (const channel of this.#channels) if (channel.stream.streamId === streamId) return channel;
    return undefined;
  }

  /** Releases the slots every channel has passed, or the leading channel passed by the hold-back. */
  #release(): void {
    if (this.#totalSlots >= 0) return;
    let lagging = Number.POSITIVE_INFINITY;
    for (const channel of this.#channels)
      if (!channel.ended && channel.frontier < lagging) lagging = channel.frontier;
    const S = this.#slotSamples;
    let slots = lagging === Number.POSITIVE_INFINITY ? Math.ceil(this.#leading / S) : Math.floor(lagging / S);
    slots = Math.max(slots, Math.floor((this.#leading - this.#holdBackSamples) / S));
    if (slots > this.#readySlots) this.#readySlots = slots;
    if (!this.#holdTimer && Math.floor(this.#leading / S) > this.#readySlots) {
      this.#armedLeading = this.#leading;
      this.#holdTimer = this.#clock.setTimeout(this.#onHoldExpired, this.#holdBackMs);
    }
  }

  /** Wall-clock hold-back: every channel stalled; release what the leading channel had when armed. */
  readonly #onHoldExpired = (): void => {
    this.#holdTimer = undefined;
    const slots = Math.floor(this.#armedLeading / this.#slotSamples);
    if (this.#totalSlots >= 0 || slots <= this.#readySlots) {
      this.#release();
      return;
    }
    this.#readySlots = slots;
    this.#release();
    this.#onReady();
  };

  #finish(): void {
    if (this.#totalSlots >= 0) return;
    this.dispose();
    let end = 0;
    for (const { reader, stream } of this.#channels) {
      const last =
        reader.knownLast > 0 ? this.#spool.readFrames(stream.streamId, reader.knownLast, 1)[0] : undefined;
      if (last) end = Math.max(end, last.pos + last.durationSamples);
    }
    this.#totalSlots = Math.max(this.#first, Math.ceil(end / this.#slotSamples));
    this.#readySlots = this.#totalSlots;
  }

  #seqOf(slot: number): number {
    return slot - this.#first + this.#frameBase;
  }

  /** The slot `seq` renders (the session's first slot for `stream.start` and the leading gap). */
  #slotOf(seq: number): number {
    return Math.max(this.#first, seq - this.#frameBase + this.#first);
  }

  /** End of the newest audio known, as a slot count. */
  #newestSlot(): number {
    if (this.#totalSlots >= 0) return this.#totalSlots;
    return Math.max(this.#readySlots, Math.ceil(this.#leading / this.#slotSamples));
  }

  /** The DISCARDED gap that opens a segment after an ack regression: from the session start to slot `first`. */
  #renderDiscarded(out: ItemOutput): Render {
    const durationSamples = this.#first * this.#slotSamples - this.#discardedFromPos;
    const captureUs = this.#epochUs + Math.round((this.#discardedFromPos * 1e6) / this.#format.rate);
    const span = { pos: this.#discardedFromPos, durationSamples, captureUs, rate: this.#format.rate };
    if (!writeDiscardedGap(out, this.#header, span)) return Render.Full;
    this.#nextSeq = 3;
    return Render.Ready;
  }

  #endMessage(seq: number): StreamEndMessage {
    const endPos = this.#totalSlots * this.#slotSamples;
    return {
      type: "stream.end",
      v: 1,
      seq,
      streamId: INTERLEAVED_STREAM_ID,
      endPos,
      endCaptureTime: this.#epochUs + Math.round((endPos * 1e6) / this.#format.rate),
      reason: this.#endReason,
    };
  }

  #renderSlot(out: ItemOutput, seq: number, slot: number): Render {
    const S = this.#slotSamples;
    const start = slot * S;
    const coverage = slotCoverage(this.#channels, start, start + S);
    if (coverage === SLOT_UNCOMMITTED) return Render.Uncommitted;
    const captureUs = this.#epochUs + Math.round((start * 1e6) / this.#format.rate);
    const withheld = (coverage & 0xff) === 0 ? 0 : out.withheldReason(seq, captureUs);
    const mask = withheld === 0 ? coverage & 0xff : 0;
    const width = this.#format.bytesPerSample;
    const payloadLen = mask === 0 ? 0 : S * this.#channels.length * width;
    const offset = out.reserveRecord(
      RECORD_HEADER_BYTES + payloadLen,
      withheld === 0 ? SLOT_MS : 0,
      captureUs,
    );
    if (offset === RESERVE_FULL) return Render.Full;
    if (offset === RESERVE_PACED) return Render.Paced;
    const header = this.#header;
    header.kind = mask === 0 ? RecordKind.Gap : RecordKind.Audio;
    header.flags = (mask !== 0 && coverage & SLOT_CONCEALED ? RecordFlags.Concealed : 0) | out.replayFlag;
    header.maskOrReason = mask === 0 ? withheld || EaspGapReason.NoMedia : mask;
    header.seq = seq;
    header.pos = start;
    header.captureUs = captureUs;
    header.durationSamples = S;
    header.payloadLen = payloadLen;
    writeRecordHeader(out.view, offset, header);
    if (mask !== 0) mixSlot(this.#channels, width, out.bytes, offset + RECORD_HEADER_BYTES, start, start + S);
    this.#nextSeq = seq + 1;
    return Render.Ready;
  }
}
