import type { Logger } from "../lib/index.ts";
import { FrameFlags, FrameKind, GapReason } from "../lib/index.ts";
import { DtmfTracker } from "./dtmf.ts";
import { type G711Codec, transcodeG711 } from "./g711.ts";
import type { CallClock, DtmfEvent, MediaFrame } from "./media-types.ts";
import type { ReorderTarget } from "./reorder-buffer.ts";

/** What a payload type carries, as stored in the receiver's payload-type table. */
export const PacketKind = {
  Unknown: 0,
  Audio: 1,
  AudioOtherLaw: 2,
  TelephoneEvent: 3,
  ComfortNoise: 4,
} as const;

/** A timestamp step that disagrees with the arrival times by more than this re-anchors, µs. */
const MAX_CLOCK_DISAGREEMENT_US = 1_000_000;
const NO_PAYLOAD = new Uint8Array(0);

/** Options of {@link StreamTimeline}. */
export interface StreamTimelineOptions {
  /** Codec of the stream's frames. */
  codec: G711Codec;
  /** Clock rate, Hz. */
  rate: number;
  callClock: CallClock;
  onFrame: (frame: MediaFrame) => void;
  onDtmf: ((event: DtmfEvent) => void) | undefined;
  logger: Logger;
}

/**
 * Turns the packets a reorder buffer releases (in sequence order) into frames on the call's
 * timeline (EASP.md §1): `pos` in samples since the call epoch, anchored on the wall clock for the
 * first packet of the stream and then following the RTP timestamps (32-bit unwrapped); re-anchored
 * with DISCONTINUITY after an SSRC change or a timestamp jump that disagrees with the arrival times
 * by more than 1 s; never going backwards. Holes between frames become GAP frames: PacketLoss when
 * packets were given up, NoMedia for DTX/comfort noise, PausedPolicy while paused.
 */
export class StreamTimeline implements ReorderTarget {
  readonly #codec: G711Codec;
  readonly #rate: number;
  readonly #callClock: CallClock;
  readonly #onFrame: (frame: MediaFrame) => void;
  readonly #onDtmf: ((event: DtmfEvent) => void) | undefined;
  readonly #logger: Logger;
  readonly #dtmf = new DtmfTracker();

  #paused = false;
  /** Paused at some point since the last frame: the next hole is a PausedPolicy gap. */
  #pausedSinceFrame = false;
  #listenerErrors = 0;

  /** Whether the anchor is set (false at start and after an SSRC change). */
  #anchored = false;
  #anchorPos = 0;
  #anchorTs = 0;
  #anchorWallUs = 0;
  /** Set when the timeline was re-anchored; goes on the next AUDIO frame. */
  #discontinuity = false;
  /** Unwrap state: last wire timestamp and its extended value. */
  #lastTs32 = 0;
  #lastExtTs = 0;
  /** Last audio/CN packet: its extended timestamp, where its media ended, and its arrival. */
  #prevTs = 0;
  #prevEndTs = 0;
  #prevWallUs = 0;

  /** Whether the first frame position is known (frames tile from there). */
  #started = false;
  /** End of the last frame: where the next one must start, samples. */
  #nextPos = 0;
  /** Capture time of `#nextPos`, µs. */
  #nextCaptureUs = 0;
  /** Packets given up since the last frame (the next hole is PacketLoss). */
  #lostCount = 0;
  #lostFirstSeq = 0;

  constructor(options: StreamTimelineOptions) {
    this.#codec = options.codec;
    this.#rate = options.rate;
    this.#callClock = options.callClock;
    this.#onFrame = options.onFrame;
    this.#onDtmf = options.onDtmf;
    this.#logger = options.logger;
  }

  /** Pauses or resumes (audio becomes PausedPolicy gaps; DTMF is suppressed while paused). */
  setPaused(paused: boolean): void {
    this.#paused = paused;
    if (paused) this.#pausedSinceFrame = true;
  }

  /** A new SSRC: the next packet re-anchors the timeline from the wall clock (DISCONTINUITY). */
  reanchor(): void {
    this.flushDtmf();
    this.#anchored = false;
    this.#lostCount = 0;
  }

  /** Reports a DTMF event still in progress (flush on BYE). */
  flushDtmf(): void {
    if (this.#dtmf.takePending()) this.#reportDtmf();
  }

  lost(firstSeq: number, count: number): void {
    if (this.#lostCount === 0) this.#lostFirstSeq = firstSeq;
    this.#lostCount += count;
  }

  release(
    extSeq: number,
    timestamp: number,
    kind: number,
    marker: boolean,
    payload: Uint8Array,
    wallUs: number,
  ): void {
    const extTs = this.#unwrap(timestamp);
    if (!this.#anchored) {
      this.#anchorFromWall(extTs, wallUs);
    } else if (
      kind !== PacketKind.TelephoneEvent &&
      extTs !== this.#prevEndTs &&
      this.#jumpDisagrees(extTs, wallUs)
    ) {
      this.#logger.debug("RTP timestamp jump disagrees with arrival time; re-anchoring", { extSeq, extTs });
      this.#anchorFromWall(extTs, wallUs);
    }
    if (kind === PacketKind.TelephoneEvent) {
      if (this.#dtmf.push(extTs, payload)) this.#reportDtmf();
      return;
    }
    const pos = this.#anchorPos + (extTs - this.#anchorTs);
    if (kind === PacketKind.ComfortNoise || payload.length === 0) {
      this.#noMediaAt(pos);
      this.#prevTs = extTs;
      this.#prevEndTs = extTs;
      this.#prevWallUs = wallUs;
      return;
    }
    this.#audio(extSeq, extTs, pos, kind, marker, payload);
    this.#prevTs = extTs;
    this.#prevEndTs = extTs + payload.length;
    this.#prevWallUs = wallUs;
  }

  #audio(
    extSeq: number,
    extTs: number,
    atPos: number,
    kind: number,
    marker: boolean,
    payload: Uint8Array,
  ): void {
    let pos = atPos;
    if (!this.#started) {
      this.#started = true;
      this.#nextPos = pos;
    } else if (pos < this.#nextPos) {
      // Overlap (timestamps stepped back): never let pos go backwards.
      this.#anchorPos += this.#nextPos - pos;
      pos = this.#nextPos;
      this.#discontinuity = true;
    } else if (pos > this.#nextPos) {
      const lost = this.#lostCount > 0;
      this.#gapTo(pos, lost ? GapReason.PacketLoss : GapReason.NoMedia, lost ? this.#lostFirstSeq : extSeq);
    }
    this.#lostCount = 0;
    let flags = marker ? FrameFlags.Marker : 0;
    if (this.#discontinuity) {
      flags |= FrameFlags.Discontinuity;
      this.#discontinuity = false;
    }
    const captureUs = Math.round(this.#anchorWallUs + ((extTs - this.#anchorTs) * 1e6) / this.#rate);
    const duration = payload.length;
    if (this.#paused) {
      this.#emit(
        FrameKind.Gap,
        flags & FrameFlags.Discontinuity,
        GapReason.PausedPolicy,
        extSeq,
        pos,
        captureUs,
        duration,
        NO_PAYLOAD,
      );
    } else {
      const bytes = kind === PacketKind.AudioOtherLaw ? this.#fromOtherLaw(payload) : payload;
      this.#emit(FrameKind.Audio, flags, 0, extSeq, pos, captureUs, duration, bytes);
    }
    this.#pausedSinceFrame = this.#paused;
    this.#nextPos = pos + duration;
    this.#nextCaptureUs = captureUs + (duration * 1e6) / this.#rate;
  }

  /** Comfort noise or an empty packet at `pos`: starts the timeline, or closes a loss hole before it. */
  #noMediaAt(pos: number): void {
    if (!this.#started) {
      this.#started = true;
      this.#nextPos = pos;
      this.#nextCaptureUs = this.#captureAtPos(pos);
      return;
    }
    if (this.#lostCount > 0 && pos > this.#nextPos) {
      this.#gapTo(pos, GapReason.PacketLoss, this.#lostFirstSeq);
      this.#lostCount = 0;
    }
  }

  /** Emits a GAP frame from `#nextPos` up to `pos`. */
  #gapTo(pos: number, reason: number, rtpSeq: number): void {
    const duration = pos - this.#nextPos;
    const why = this.#paused || this.#pausedSinceFrame ? GapReason.PausedPolicy : reason;
    const captureUs = Math.round(this.#nextCaptureUs);
    this.#emit(FrameKind.Gap, 0, why, rtpSeq, this.#nextPos, captureUs, duration, NO_PAYLOAD);
    this.#nextPos = pos;
    this.#nextCaptureUs += (duration * 1e6) / this.#rate;
  }

  #emit(
    kind: number,
    flags: number,
    gapReason: number,
    rtpSeq: number,
    pos: number,
    captureUs: number,
    durationSamples: number,
    payload: Uint8Array,
  ): void {
    const frame = { kind, flags, gapReason, rtpSeq, pos, captureUs, durationSamples, payload } as MediaFrame;
    try {
      this.#onFrame(frame);
    } catch (err) {
      this.#listenerError("onFrame", err);
    }
  }

  #reportDtmf(): void {
    const onDtmf = this.#onDtmf;
    if (!onDtmf || this.#paused || !this.#anchored) return;
    const t = this.#dtmf;
    const event: DtmfEvent = {
      digit: t.digit,
      pos: Math.max(0, this.#anchorPos + (t.startTs - this.#anchorTs)),
      durationSamples: t.durationSamples,
      captureUs: Math.round(this.#anchorWallUs + ((t.startTs - this.#anchorTs) * 1e6) / this.#rate),
    };
    try {
      onDtmf(event);
    } catch (err) {
      this.#listenerError("onDtmf", err);
    }
  }

  #unwrap(timestamp: number): number {
    const extTs = this.#anchored ? this.#lastExtTs + ((timestamp - this.#lastTs32) | 0) : timestamp;
    this.#lastTs32 = timestamp;
    this.#lastExtTs = extTs;
    return extTs;
  }

  /** Whether the timestamp step since the last audio/CN packet disagrees with their arrival times by > 1 s. */
  #jumpDisagrees(extTs: number, wallUs: number): boolean {
    const tsStepUs = ((extTs - this.#prevTs) * 1e6) / this.#rate;
    return Math.abs(tsStepUs - (wallUs - this.#prevWallUs)) > MAX_CLOCK_DISAGREEMENT_US;
  }

  /**
   * Anchors the timeline at this packet from its arrival time: the call's first media sets the call
   * epoch (pos 0); later ones get `round((arrival − epoch) × rate / 1e6)`, never before the end of
   * the last frame. Re-anchoring a started timeline marks DISCONTINUITY.
   */
  #anchorFromWall(extTs: number, wallUs: number): void {
    const clock = this.#callClock;
    if (clock.epochUs === 0) clock.epochUs = wallUs;
    let pos = Math.max(0, Math.round(((wallUs - clock.epochUs) * this.#rate) / 1e6));
    if (this.#started) {
      if (pos < this.#nextPos) pos = this.#nextPos;
      this.#discontinuity = true;
    }
    this.#anchored = true;
    this.#anchorPos = pos;
    this.#anchorTs = extTs;
    this.#anchorWallUs = wallUs;
    this.#prevTs = extTs;
    this.#prevEndTs = extTs;
    this.#prevWallUs = wallUs;
  }

  #captureAtPos(pos: number): number {
    return this.#anchorWallUs + ((pos - this.#anchorPos) * 1e6) / this.#rate;
  }

  #fromOtherLaw(payload: Uint8Array): Uint8Array {
    return transcodeG711(this.#codec === "PCMU" ? "PCMA" : "PCMU", this.#codec, payload);
  }

  #listenerError(what: string, err: unknown): void {
    this.#listenerErrors++;
    const level = this.#listenerErrors === 1 ? "warn" : "debug";
    this.#logger[level](`${what} listener threw; the receiver goes on`, {
      error: err instanceof Error ? err.message : String(err),
      count: this.#listenerErrors,
    });
  }
}
