import type { SinkCursor, Spool } from "../../spool/index.ts";
import type { ForwardChoice } from "./forward-types.ts";

/**
 * Cursor unit of the row that says a call is routed to a SIPREC sink: its `sessionId` holds the
 * choice (JSON, without `sink`), `done` whether nothing more is owed to the sink.
 */
export const ROUTE_UNIT = "siprec";

/** `sessionId` of a segment row that covers audio the operator gave up (stopped, then started again). */
export const WAIVED_SESSION = "waived";

/**
 * What one session handed to the remote SRS on one stream: frames `from`…`acked` (idx, inclusive; none
 * when `acked < from`). Stored as the cursor row `siprec:<streamId>:<from>` with `ackedSeq = acked`
 * and `sessionId` = the SIP Call-ID of the session (or {@link WAIVED_SESSION}).
 */
export interface Segment {
  /** Spool stream id. */
  streamId: number;
  /** First frame idx of the segment. */
  from: number;
  /** Last frame idx handed to the socket. */
  acked: number;
  /** SIP Call-ID of the session that sent it. */
  sessionId: string;
  /** Whether the session ended (the segment grows no more). */
  done: boolean;
}

/** A routed (call, sink) as stored. */
export interface StoredRoute {
  callId: string;
  sink: string;
  choice: ForwardChoice;
  done: boolean;
}

/** An inclusive range of frame idx; `to` may be `Infinity` (a live session still sending). */
export interface IdxRange {
  from: number;
  to: number;
}

/** The cursor unit of a segment: `siprec:<streamId>:<from>`. */
export function segmentUnit(streamId: number, from: number): string {
  return `${ROUTE_UNIT}:${streamId}:${from}`;
}

/**
 * Progress of SIPREC forwards in the spool's cursor table (DESIGN.md §4: a cursor only says what the
 * sink was given): one route row per (call, sink), one segment row per (session, stream).
 */
export class ProgressStore {
  readonly #spool: Spool;

  constructor(spool: Spool) {
    this.#spool = spool;
  }

  /** @throws SpoolError `SPOOL_WRITE`. */
  saveRoute(callId: string, choice: ForwardChoice, done: boolean): void {
    const { sink, ...rest } = choice;
    this.#spool.saveCursor({
      callId,
      sink,
      unit: ROUTE_UNIT,
      sessionId: JSON.stringify(rest),
      ackedSeq: 0,
      done,
    });
  }

  /** The stored route of (call, sink), or undefined. */
  route(callId: string, sink: string): StoredRoute | undefined {
    const row = this.#spool.getCursor(callId, sink, ROUTE_UNIT);
    return row && routeOf(row);
  }

  /** Routes of a call, or every route not done (`{ done: false }`), by call and sink. */
  routes(filter: { callId?: string; done?: boolean }): StoredRoute[] {
    return this.#spool
      .listCursors(filter)
      .filter((row) => row.unit === ROUTE_UNIT)
      .map(routeOf);
  }

  /** Segments of (call, sink). */
  segments(callId: string, sink: string): Segment[] {
    const out: Segment[] = [];
    for (const row of this.#spool.listCursors({ callId, sink })) {
      const m = /^siprec:(\d+):(\d+)$/.exec(row.unit);
      if (!m) continue;
      out.push({
        streamId: Number(m[1]),
        from: Number(m[2]),
        acked: row.ackedSeq,
        sessionId: row.sessionId,
        done: row.done,
      });
    }
    return out;
  }

  /** @throws SpoolError `SPOOL_WRITE`. */
  saveSegment(callId: string, sink: string, segment: Segment): void {
    this.#spool.saveCursor({
      callId,
      sink,
      unit: segmentUnit(segment.streamId, segment.from),
      sessionId: segment.sessionId,
      ackedSeq: segment.acked,
      done: segment.done,
    });
  }
}

/**
 * The first range of frames `1…last` that no range of `covered` holds, or undefined when all are
 * covered (always so for `last` 0). Empty ranges (`to < from`) cover nothing.
 */
export function firstGap(covered: readonly IdxRange[], last: number): IdxRange | undefined {
  let next = 1;
  for (const range of sorted(covered)) {
    if (range.from > next)
      return next > last ? undefined : { from: next, to: Math.min(range.from - 1, last) };
    next = Math.max(next, range.to + 1);
  }
  return next > last ? undefined : { from: next, to: last };
}

/** How many frames of `1…last` no range of `covered` holds. */
export function uncoveredCount(covered: readonly IdxRange[], last: number): number {
  let count = 0;
  let next = 1;
  for (const range of sorted(covered)) {
    if (next > last) break;
    if (range.from > next) count += Math.min(range.from - 1, last) - next + 1;
    next = Math.max(next, range.to + 1);
  }
  return next <= last ? count + last - next + 1 : count;
}

/** The non-empty ranges by their start. */
function sorted(covered: readonly IdxRange[]): IdxRange[] {
  return covered.filter((r) => r.to >= r.from).sort((a, b) => a.from - b.from);
}

function routeOf(row: SinkCursor): StoredRoute {
  return {
    callId: row.callId,
    sink: row.sink,
    choice: { ...parseChoice(row.sessionId), sink: row.sink },
    done: row.done,
  };
}

/** The stored choice (JSON written by `saveRoute`); unreadable text counts as no overrides. */
function parseChoice(json: string): Omit<ForwardChoice, "sink"> {
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === "object" ? (value as Omit<ForwardChoice, "sink">) : {};
  } catch {
    return {};
  }
}
