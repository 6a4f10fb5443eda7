import { EaspGapReason } from "../easp/index.ts";
import type { Spool } from "../spool/index.ts";

/** A run of seqs `[from, to)` the receiver skipped with `resume{from:"now"}`. */
export interface PausedSpan {
  /** First seq of the span (the live edge when `pause` arrived). */
  from: number;
  /** First seq after the span (the live edge when `resume{from:"now"}` arrived). */
  to: number;
}

/**
 * Which AUDIO records of one session go out as GAP records instead (EASP.md §3 reasons 4 and 6,
 * §4 `opened.discardBefore` and `resume.from`, §6):
 * - PAUSED_RECEIVER for every AUDIO record whose seq lies in a span the receiver skipped with
 *   `resume{from:"now"}` (stored durably, see {@link storePausedSpan}: once sent as GAPs, those
 *   seqs stay GAPs on every later connection, so `(sessionId, seq)` keeps denoting the same item);
 * - DECLINED for every AUDIO record captured before the current connection's `discardBefore`
 *   (a record starting before it is declined whole). This depends only on the frame and on
 *   `discardBefore`, so a reconnect that gets the same `discardBefore` renders the same items.
 *
 * The numbering never changes: a withheld record keeps the seq, `pos`, `captureTime` and duration
 * of the frame (per-participant) or 20 ms slot (interleaved) it replaces, one GAP per record, so
 * the timeline stays tiled (EASP.md §1 invariant 2). GAP records of the spool (NO_MEDIA,
 * PACKET_LOSS, PAUSED_POLICY, DISCARDED…) keep their own reason: they carry no audio to withhold
 * and say why there was none.
 */
export class WithheldAudio {
  /** Flat `[from, to)` seq pairs, in the order they were skipped (ascending). */
  readonly #spans: number[] = [];
  /** Records captured before this are declined, µs since the Unix epoch; -Infinity for none. */
  #discardBeforeUs = Number.NEGATIVE_INFINITY;

  /** The receiver's `opened.discardBefore` of the current connection (µs), or undefined / NaN for none. */
  setDiscardBefore(us: number | undefined): void {
    this.#discardBeforeUs = us === undefined || Number.isNaN(us) ? Number.NEGATIVE_INFINITY : us;
  }

  /** Adds a span skipped with `resume{from:"now"}` (ignored when empty). */
  addPausedSpan(span: PausedSpan): void {
    if (span.to > span.from) this.#spans.push(span.from, span.to);
  }

  /** The paused spans, in order. */
  pausedSpans(): PausedSpan[] {
    const out: PausedSpan[] = [];
    for (let i = 0; i < this.#spans.length; i += 2) {
      out.push({ from: this.#spans[i] as number, to: this.#spans[i + 1] as number });
    }
    return out;
  }

  /**
   * 0 when the AUDIO record `seq` captured at `captureUs` (µs since the Unix epoch) goes out as
   * audio; else the GAP reason it is replaced by (PAUSED_RECEIVER before DECLINED). Hot path.
   */
  reasonFor(seq: number, captureUs: number): number {
    const spans = this.#spans;
    for (let i = 0; i < spans.length; i += 2) {
      if (seq >= (spans[i] as number) && seq < (spans[i + 1] as number)) return EaspGapReason.PausedReceiver;
    }
    return captureUs < this.#discardBeforeUs ? EaspGapReason.Declined : 0;
  }
}

/**
 * Companion cursor rows of a paused span k of a session, next to its cursor `<unit>` in the spool's
 * cursor table (as the segment rows `<unit>.from`, see `segments.ts`; the Spool interface has no
 * other per-unit storage): `<unit>.paused.<k>` holds `from` in `ackedSeq`, `<unit>.resumed.<k>`
 * holds `to`. `.resumed` is written first and `.paused` last, and both carry the session id and
 * are `done` (never undelivered): a crash in between leaves a `.resumed` row without `.paused`,
 * which the loader ignores and the next span k overwrites.
 */
const PAUSED_SUFFIX = ".paused.";
const RESUMED_SUFFIX = ".resumed.";

/** Where a unit's paused spans are stored. */
export interface PausedSpanKey {
  callId: string;
  sink: string;
  /** The session's cursor unit (`call`, a stream id, `<base>#<segment>`). */
  unit: string;
  sessionId: string;
}

/** Loads the paused spans stored for a session, in order. */
export function loadPausedSpans(spool: Spool, key: PausedSpanKey): PausedSpan[] {
  const out: PausedSpan[] = [];
  for (let k = 0; ; k++) {
    const from = spool.getCursor(key.callId, key.sink, `${key.unit}${PAUSED_SUFFIX}${k}`);
    const to = spool.getCursor(key.callId, key.sink, `${key.unit}${RESUMED_SUFFIX}${k}`);
    if (!from || !to || from.sessionId !== key.sessionId || to.sessionId !== key.sessionId) break;
    out.push({ from: from.ackedSeq, to: to.ackedSeq });
  }
  return out;
}

/** Stores paused span number `index` (0, 1, …) of a session, before any of its GAP records is sent. */
export function storePausedSpan(spool: Spool, key: PausedSpanKey, index: number, span: PausedSpan): void {
  const row = (suffix: string, value: number) => ({
    callId: key.callId,
    sink: key.sink,
    unit: `${key.unit}${suffix}${index}`,
    sessionId: key.sessionId,
    ackedSeq: value,
    done: true,
  });
  spool.saveCursor(row(RESUMED_SUFFIX, span.to));
  spool.saveCursor(row(PAUSED_SUFFIX, span.from));
}
