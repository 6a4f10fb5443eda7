import { audioPayloadLength, RecordFlags, RecordKind } from "./constants.ts";
import { EaspProtocolError } from "./errors.ts";
import type { StreamDesc } from "./messages.ts";
import type { RecordHeader } from "./record.ts";

/** What a receiver remembers of one stream to check the per-stream invariants (EASP.md §1, 2 and 4). */
export interface StreamTrack {
  /** Whether a record of the stream was accepted already. */
  started: boolean;
  /** `pos + durationSamples` of the last accepted record, samples. */
  nextPos: number;
  /** `captureTime` of the last accepted record, µs since the Unix epoch. */
  lastCaptureUs: number;
}

/** A fresh {@link StreamTrack} for a stream without records. */
export function newStreamTrack(): StreamTrack {
  return { started: false, nextPos: 0, lastCaptureUs: 0 };
}

/**
 * Checks a record against its stream (EASP.md §1 invariants 2–4) and, if it passes, advances
 * `track` past it. Invariant 2 (records tile the timeline) and 4 (captureTime non-decreasing) do
 * not apply to a record flagged DISCONTINUITY, where the timeline is re-anchored.
 * @throws EaspProtocolError `EASP_UNKNOWN_STREAM` (the record names another stream),
 *   `EASP_PAYLOAD_LENGTH` (invariant 3), `EASP_POS_MISMATCH` (invariant 2),
 *   `EASP_CAPTURE_TIME_REGRESSION` (invariant 4); all close code 4000.
 */
export function checkRecordInvariants(record: RecordHeader, stream: StreamDesc, track: StreamTrack): void {
  if (record.streamId !== stream.streamId) {
    throw new EaspProtocolError(
      "EASP_UNKNOWN_STREAM",
      `record of stream ${record.streamId} checked as ${stream.streamId}`,
    );
  }
  if (record.kind === RecordKind.Audio) {
    const expected = audioPayloadLength(stream.codec, stream.channels, record.durationSamples);
    if (record.payloadLen !== expected) {
      throw new EaspProtocolError(
        "EASP_PAYLOAD_LENGTH",
        `seq ${record.seq}: payloadLen ${record.payloadLen}, expected ${expected} (${record.durationSamples} samples × ${stream.channels} ch, ${stream.codec})`,
      );
    }
  }
  const reanchored = (record.flags & RecordFlags.Discontinuity) !== 0;
  if (track.started && !reanchored) {
    if (record.pos !== track.nextPos) {
      throw new EaspProtocolError(
        "EASP_POS_MISMATCH",
        `seq ${record.seq}: stream ${record.streamId} pos ${record.pos}, expected ${track.nextPos}`,
      );
    }
    if (record.captureUs < track.lastCaptureUs) {
      throw new EaspProtocolError(
        "EASP_CAPTURE_TIME_REGRESSION",
        `seq ${record.seq}: captureTime ${record.captureUs} < previous ${track.lastCaptureUs}`,
      );
    }
  }
  track.started = true;
  track.nextPos = record.pos + record.durationSamples;
  track.lastCaptureUs = record.captureUs;
}

/** Where a durable item's `seq` stands against the next expected one (EASP.md §5, receiver side). */
export type SeqVerdict = "next" | "duplicate" | "gap";

/**
 * Classifies a durable item's `seq` (EASP.md §1 invariant 1, §5): `duplicate` if it was seen
 * already (drop it, idempotent by `(sessionId, seq)`), `next` if it is the expected one, `gap` if
 * items are missing (protocol error 4000).
 */
export function classifySeq(seq: number, expectedSeq: number): SeqVerdict {
  if (seq < expectedSeq) return "duplicate";
  return seq === expectedSeq ? "next" : "gap";
}
