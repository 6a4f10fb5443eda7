import { RecordKind } from "../easp/index.ts";
import type { SampleConverter } from "./audio-format.ts";
import type { FrameReader } from "./frame-reader.ts";

/** One channel of an interleaved slot: its frames and how its bytes are converted. */
export interface MixChannel {
  reader: FrameReader;
  converter: SampleConverter;
}

/** Bit of a {@link slotCoverage} result: some channel lacks audio for part of the slot. */
export const SLOT_CONCEALED = 0x100;
/** {@link slotCoverage} result when a frame overlapping the slot is not committed to the spool yet. */
export const SLOT_UNCOMMITTED = -1;

/**
 * Which channels have audio in the slot `[start, end)` (samples): bit i for channel i (the EASP
 * `channelMask`), plus {@link SLOT_CONCEALED} when a channel does not cover the whole slot, or
 * {@link SLOT_UNCOMMITTED}. Each reader is left at the first frame that ends after `start`.
 */
export function slotCoverage(channels: readonly MixChannel[], start: number, end: number): number {
  let mask = 0;
  for (let c = 0; c < channels.length; c++) {
    const reader = (channels[c] as MixChannel).reader;
    reader.skipEndingBy(start);
    let covered = 0;
    let f = reader.at(0);
    for (let i = 0; f && f.pos < end; f = reader.at(++i)) {
      if (f.kind === RecordKind.Audio)
        covered += Math.min(end, f.pos + f.durationSamples) - Math.max(start, f.pos);
    }
    if (!f && reader.blocked && reader.blocked.pos < end) return SLOT_UNCOMMITTED;
    if (covered > 0) mask |= 1 << c;
    if (covered < end - start) mask |= SLOT_CONCEALED;
  }
  return mask;
}

/**
 * Writes the interleaved payload of slot `[start, end)` at `bytes[at]`: codec silence, then each
 * channel's audio in place, sample-accurately (a frame may straddle two slots). Call after
 * {@link slotCoverage} (the readers are positioned).
 */
export function mixSlot(
  channels: readonly MixChannel[],
  width: number,
  bytes: Uint8Array,
  at: number,
  start: number,
  end: number,
): void {
  const stride = channels.length * width;
  for (let c = 0; c < channels.length; c++) {
    const { reader, converter } = channels[c] as MixChannel;
    converter.fillSilence(bytes, at + c * width, end - start, stride);
    for (let i = 0, f = reader.at(0); f && f.pos < end; f = reader.at(++i)) {
      if (f.kind !== RecordKind.Audio) continue;
      const from = Math.max(start, f.pos);
      const to = Math.min(end, f.pos + f.durationSamples, f.pos + f.payload.byteLength);
      if (to <= from) continue;
      converter.write(
        f.payload,
        from - f.pos,
        to - from,
        bytes,
        at + (from - start) * stride + c * width,
        stride,
      );
    }
  }
}
