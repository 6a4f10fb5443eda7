import {
  EaspGapReason,
  RECORD_HEADER_BYTES,
  type RecordHeader,
  RecordKind,
  writeRecordHeader,
} from "../easp/index.ts";
import { type ItemOutput, RESERVE_FULL } from "./item-source.ts";

/** The span of timeline an ack regression made unrecoverable, as the GAP that states it covers. */
export interface DiscardedSpan {
  /** First sample, samples since the call epoch. */
  pos: number;
  /** Samples covered. */
  durationSamples: number;
  /** Capture time of the first sample, µs since the Unix epoch. */
  captureUs: number;
  /** Sample rate, Hz. */
  rate: number;
}

/**
 * Writes the GAP record, reason DISCARDED (5), that opens a segment started after an ack regression
 * (EASP.md §5): always seq 2, right after the segment's `stream.start`. `header` is the source's
 * reusable header (its stream id already set).
 * @returns false when the output has no room for it now (try again after the next send).
 */
export function writeDiscardedGap(out: ItemOutput, header: RecordHeader, span: DiscardedSpan): boolean {
  const offset = out.reserveRecord(
    RECORD_HEADER_BYTES,
    (span.durationSamples * 1000) / span.rate,
    span.captureUs,
  );
  if (offset === RESERVE_FULL) return false;
  header.kind = RecordKind.Gap;
  header.flags = out.replayFlag;
  header.maskOrReason = EaspGapReason.Discarded;
  header.seq = 2;
  header.pos = span.pos;
  header.captureUs = span.captureUs;
  header.durationSamples = span.durationSamples;
  header.payloadLen = 0;
  writeRecordHeader(out.view, offset, header);
  return true;
}
