import { EaspCloseCode } from "../easp/index.ts";

/** Protocol errors (close 4000) in a row before a unit is quarantined (EASP.md §7: no hot loop). */
export const MAX_PROTOCOL_ERRORS = 2;

/** What a unit does after its connection closed without `closed`. */
export type CloseAction = "done" | "failed" | "retry";

/**
 * Maps a close to the appliance's action (EASP.md §7): 4010 (session already finalized) → done;
 * 4001/4003/4415, a `fatal` error, or repeated 4000 → failed (stop until reconfigured, audio stays
 * in the spool); everything else (1001/1006/1011/1012/1013/4009/4013/4029, refused connections) →
 * retry with backoff.
 */
export function closeAction(code: number, fatal: boolean, protocolErrors: number): CloseAction {
  if (code === EaspCloseCode.SessionClosed) return "done";
  if (
    fatal ||
    code === EaspCloseCode.Unauthorized ||
    code === EaspCloseCode.Forbidden ||
    code === EaspCloseCode.UnsupportedCodec ||
    protocolErrors >= MAX_PROTOCOL_ERRORS
  ) {
    return "failed";
  }
  return "retry";
}

/** Where a unit starts sending after `opened`, and what was wrong with the receiver's `nextSeq`. */
export interface ResumePoint {
  /** First seq to send. */
  start: number;
  /**
   * `ahead`: the receiver asked for items that do not exist (start clamped to what exists, alarm);
   * `regressed`: it lost items it had acknowledged (they are sent again); `ok` otherwise.
   */
  verdict: "ok" | "ahead" | "regressed";
}

/**
 * Decides where to resume (EASP.md §5, `on opened`): the receiver's `nextSeq` is authoritative
 * while it lies within `1 … lastAvailable + 1`.
 */
export function resumePoint(nextSeq: number, lastAvailable: number, ackedSeq: number): ResumePoint {
  if (nextSeq > lastAvailable + 1) return { start: lastAvailable + 1, verdict: "ahead" };
  return { start: nextSeq, verdict: nextSeq <= ackedSeq ? "regressed" : "ok" };
}
