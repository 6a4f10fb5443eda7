import type { SinkCursor, Spool } from "../spool/index.ts";
import type { StreamEndReason } from "./sink-types.ts";

/**
 * Where a segment session starts (EASP.md §1 "Session = one transport segment"). A unit's first
 * session is segment 0; a continuation session (live-first cut, or ack regression with loss) is
 * segment n > 0 and has its own cursor row `<base>#<n>`, so each stays durable on its own.
 */
export interface SegmentOrigin {
  /** Segment number: 0, 1, 2… */
  segment: number;
  /** First frame idx (per-participant) or first 20 ms slot (interleaved) the session carries. */
  first: number;
  /**
   * For a segment opened after the receiver lost audio the spool no longer has: where its leading
   * DISCARDED gap starts, samples since the call epoch (the gap ends at `first`). -1 otherwise.
   */
  discardedFromPos: number;
  /** Session id of the previous segment, or null for segment 0. */
  continuationOf: string | null;
}

/** A stored segment of a unit and what became of it. */
export interface StoredSegment {
  origin: SegmentOrigin;
  cursor: SinkCursor;
  /**
   * Where the segment ends (exclusive): a later segment's `first` when it took over from this one's
   * live edge (live-first), or the stop cut when streaming to the sink was stopped; else undefined.
   */
  cutAt: number | undefined;
  /** The `stream.end` reason at {@link cutAt}: `segment-cut` or `stopped`. */
  cutReason: StreamEndReason;
  /** Nothing more to deliver: `done`, or superseded by a later segment that declared a DISCARDED gap. */
  finished: boolean;
}

/** Cursor unit of segment `segment` of the unit `base` (`12`, `12#1`, …; `call`, `call#1`, …). */
export function segmentUnit(base: string, segment: number): string {
  return segment === 0 ? base : `${base}#${segment}`;
}

/**
 * Companion rows of a segment n > 0, kept in the spool's cursor table next to its cursor (the
 * Spool interface has no other per-unit storage): `<unit>.from` holds the segment's `first` in
 * `ackedSeq`; `<unit>.discarded` (only for ack-regression segments) holds `discardedFromPos`.
 * Segment 0 has a `.from` row only when it does not start at the stream's first frame / slot (a
 * sink started again on a call after a stop, for a stream it never carried).
 * Both are written before the segment's cursor and are always `done`, so they never count as
 * undelivered; their `sessionId` is the segment's (a `.discarded` row left by a crash before its
 * `.from` row does not match a later segment's session and is ignored).
 */
const FROM_SUFFIX = ".from";
const DISCARDED_SUFFIX = ".discarded";

/**
 * Loads the segments of one unit in order (empty when the unit never got a cursor). Segment 0
 * starts at `firstOfBase` (frame idx 1, or slot 0) unless its `.from` row says otherwise.
 * `stopCuts` (cursor unit → cut) are the stops of the sink on the call: a segment listed there ends
 * at its stop cut with `stream.end{reason:"stopped"}`.
 */
export function loadSegments(
  spool: Spool,
  callId: string,
  sink: string,
  base: string,
  firstOfBase: number,
  stopCuts: Readonly<Record<string, number>> = {},
): StoredSegment[] {
  const root = spool.getCursor(callId, sink, base);
  if (!root) return [];
  const rootFrom = spool.getCursor(callId, sink, base + FROM_SUFFIX);
  const first = rootFrom?.sessionId === root.sessionId ? rootFrom.ackedSeq : firstOfBase;
  const out: StoredSegment[] = [
    {
      origin: { segment: 0, first, discardedFromPos: -1, continuationOf: null },
      cursor: root,
      cutAt: undefined,
      cutReason: "segment-cut",
      finished: root.done,
    },
  ];
  for (let n = 1; ; n++) {
    const unit = segmentUnit(base, n);
    const from = spool.getCursor(callId, sink, unit + FROM_SUFFIX);
    if (!from) break;
    const stored = spool.getCursor(callId, sink, unit + DISCARDED_SUFFIX);
    const discarded = stored?.sessionId === from.sessionId ? stored : undefined;
    const previous = out[out.length - 1] as StoredSegment;
    if (discarded) previous.finished = true;
    else previous.cutAt = from.ackedSeq;
    const cursor = spool.getCursor(callId, sink, unit) ?? {
      callId,
      sink,
      unit,
      sessionId: from.sessionId,
      ackedSeq: 0,
      done: false,
    };
    out.push({
      origin: {
        segment: n,
        first: from.ackedSeq,
        discardedFromPos: discarded ? discarded.ackedSeq : -1,
        continuationOf: previous.cursor.sessionId,
      },
      cursor,
      cutAt: undefined,
      cutReason: "segment-cut",
      finished: cursor.done,
    });
  }
  for (const segment of out) {
    const stop = stopCuts[segmentUnit(base, segment.origin.segment)];
    if (stop === undefined) continue;
    segment.cutAt = stop;
    segment.cutReason = "stopped";
  }
  return out;
}

/**
 * Stores a new segment of `base` (n > 0, or a segment 0 that does not start at the first frame /
 * slot): its companion rows first, then its cursor (so a crash in between leaves a segment the
 * loader can complete), and returns the cursor.
 */
export function storeSegment(
  spool: Spool,
  callId: string,
  sink: string,
  base: string,
  origin: SegmentOrigin,
  sessionId: string,
): SinkCursor {
  const unit = segmentUnit(base, origin.segment);
  const row = (suffix: string, value: number): SinkCursor => ({
    callId,
    sink,
    unit: unit + suffix,
    sessionId,
    ackedSeq: value,
    done: true,
  });
  if (origin.discardedFromPos >= 0) spool.saveCursor(row(DISCARDED_SUFFIX, origin.discardedFromPos));
  spool.saveCursor(row(FROM_SUFFIX, origin.first));
  const cursor: SinkCursor = { callId, sink, unit, sessionId, ackedSeq: 0, done: false };
  spool.saveCursor(cursor);
  return cursor;
}
