import type { CallRecord, Spool, StreamRecord } from "../../spool/index.ts";
import type { ResolvedForward } from "./forward-catalog.ts";
import type { ForwardSession } from "./forward-session.ts";
import type { ForwardChoice } from "./forward-types.ts";
import { firstGap, type IdxRange, type Segment, uncoveredCount } from "./progress.ts";
import type { SessionStreamPlan } from "./session-types.ts";
import type { SinkTargets } from "./sink-targets.ts";
import type { StreamFeed } from "./stream-feed.ts";

/** A recorded call as the forwarder follows it. */
export interface CallEntry {
  call: CallRecord;
  /** Its streams, in the order they started. */
  streams: StreamRecord[];
  /** Streams that ended (no frame follows). */
  endedStreams: Set<number>;
  /** Whether the call ended. */
  ended: boolean;
  /** Whether the recording is paused now. */
  paused: boolean;
  /** Its SIPREC sinks by name, in the order chosen. */
  forwards: Map<string, SinkForward>;
}

/**
 * One call forwarded to one SIPREC sink: what each of its sessions handed to the remote SRS (segments,
 * mirrored in the spool), its running live and replay sessions, and so what it still owes.
 */
export class SinkForward {
  readonly entry: CallEntry;
  /** The choice as stored (the sink name and its per-call overrides). */
  readonly choice: ForwardChoice;
  readonly forward: ResolvedForward;
  readonly targets: SinkTargets;
  /** What was handed to the SRS, per session and stream. */
  readonly segments: Segment[];
  /** Nothing more is owed (delivered, stopped, ended by the SRS). */
  done = false;
  live: ForwardSession | undefined;
  replay: ForwardSession | undefined;
  /** The last session, for status. */
  last: ForwardSession | undefined;
  /** Live sessions tried so far: the first starts at the call's first frame, later ones at the live edge. */
  liveAttempts = 0;
  /** Last failure text, for status. */
  lastError = "";
  /** Whether it waits in its sink's replay queue. */
  queued = false;
  /** The segment each running feed grows. */
  readonly #segmentOf = new Map<StreamFeed, Segment>();

  constructor(
    entry: CallEntry,
    choice: ForwardChoice,
    forward: ResolvedForward,
    targets: SinkTargets,
    segments: Segment[],
  ) {
    this.entry = entry;
    this.choice = choice;
    this.forward = forward;
    this.targets = targets;
    this.segments = segments;
  }

  /** Sink name. */
  get sink(): string {
    return this.forward.name;
  }

  /** Its sessions that have not ended. */
  sessions(): ForwardSession[] {
    const out: ForwardSession[] = [];
    if (this.live) out.push(this.live);
    if (this.replay) out.push(this.replay);
    return out;
  }

  /** Opens a segment for each feed a started session sends on; returns them (to store). */
  openSegments(session: ForwardSession): Segment[] {
    const opened: Segment[] = [];
    for (const feed of session.feeds) {
      if (!feed.attached) continue;
      const segment: Segment = {
        streamId: feed.stream.streamId,
        from: feed.from,
        acked: feed.from - 1,
        sessionId: session.sipCallId,
        done: false,
      };
      this.#replaceSegment(segment);
      this.#segmentOf.set(feed, segment);
      opened.push(segment);
    }
    return opened;
  }

  /** Moves the segments of a session's feeds to what they handed; `close` when the session ended. Returns those that changed. */
  advanceSegments(session: ForwardSession, close: boolean): Segment[] {
    const changed: Segment[] = [];
    for (const feed of session.feeds) {
      const segment = this.#segmentOf.get(feed);
      if (!segment) continue;
      const acked = Math.max(segment.acked, feed.handed);
      if (acked !== segment.acked || (close && !segment.done)) {
        segment.acked = acked;
        segment.done = close;
        changed.push(segment);
      }
      if (close) this.#segmentOf.delete(feed);
    }
    return changed;
  }

  /** Records that frames `1…last` of a stream need not be sent (the forward was stopped, then started again). */
  waive(streamId: number, last: number): Segment {
    const segment: Segment = { streamId, from: 1, acked: last, sessionId: "waived", done: true };
    this.#replaceSegment(segment);
    return segment;
  }

  /**
   * Per stream, the first span of frames no session handed or is about to hand to the SRS (up to the
   * stream's last frame now), as the streams of a replay session.
   */
  owedSpans(spool: Spool): SessionStreamPlan[] {
    const plans: SessionStreamPlan[] = [];
    for (const stream of this.entry.streams) {
      const gap = firstGap(this.#covered(stream.streamId), spool.lastIdx(stream.streamId));
      if (gap) plans.push({ stream, from: gap.from, end: gap.to });
    }
    return plans;
  }

  /**
   * The streams of a live session: every stream that can still send, from its first frame for the
   * first live session, from the live edge (the next frame) for later ones.
   */
  livePlan(spool: Spool): SessionStreamPlan[] {
    const plans: SessionStreamPlan[] = [];
    const fromEdge = this.liveAttempts > 0;
    for (const stream of this.entry.streams) {
      const last = spool.lastIdx(stream.streamId);
      const from = fromEdge ? last + 1 : 1;
      const end = this.entry.endedStreams.has(stream.streamId) ? last : Number.POSITIVE_INFINITY;
      if (from <= end) plans.push({ stream, from, end });
    }
    return plans;
  }

  /** Frames owed over every stream. */
  owedFrames(spool: Spool): number {
    return this.entry.streams.reduce(
      (sum, s) => sum + uncoveredCount(this.#covered(s.streamId), spool.lastIdx(s.streamId)),
      0,
    );
  }

  /** Whether some frame is owed. */
  owes(spool: Spool): boolean {
    return this.owedSpans(spool).length > 0;
  }

  /** Frames of a stream handed to the SRS, or planned for a running session. */
  #covered(streamId: number): IdxRange[] {
    const ranges: IdxRange[] = [];
    for (const s of this.segments) {
      if (s.streamId === streamId && s.acked >= s.from) ranges.push({ from: s.from, to: s.acked });
    }
    for (const session of this.sessions()) {
      for (const feed of session.feeds) {
        if (feed.stream.streamId !== streamId) continue;
        const to = session.ended || (session.established && !feed.attached) ? feed.handed : feed.end;
        if (to >= feed.from) ranges.push({ from: feed.from, to });
      }
    }
    return ranges;
  }

  #replaceSegment(segment: Segment): void {
    const at = this.segments.findIndex((s) => s.streamId === segment.streamId && s.from === segment.from);
    if (at >= 0) this.segments[at] = segment;
    else this.segments.push(segment);
  }
}

/**
 * The span a replay of `streams` carries: the capture time of its first frame and the time just after
 * its last one, µs (the call's start when the frames are gone).
 */
export function replaySpan(
  spool: Spool,
  call: CallRecord,
  streams: readonly SessionStreamPlan[],
): { spanStartUs: number; spanEndUs: number } {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const { stream, from, end: to } of streams) {
    const first = spool.readFrames(stream.streamId, from, 1)[0];
    const last = spool.readFrames(stream.streamId, to, 1)[0];
    if (first) start = Math.min(start, first.captureUs);
    if (last) end = Math.max(end, last.captureUs + Math.round((last.durationSamples * 1e6) / stream.rate));
  }
  if (!Number.isFinite(start) || !Number.isFinite(end))
    return { spanStartUs: call.startedUs, spanEndUs: call.startedUs };
  return { spanStartUs: start, spanEndUs: end };
}
