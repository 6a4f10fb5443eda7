import { EaspCloseCode } from "../easp/index.ts";

/** Protocol errors (close 4000) in a row before a unit is quarantined (EASP.md §7: one resume attempt, no hot loop). */
export const MAX_PROTOCOL_ERRORS = 2;

/**
 * What a unit does after its connection closed without `closed` (EASP.md §7):
 * - `done`: the receiver has the whole session (4010): mark it delivered.
 * - `retry`: reconnect after the backoff (or `retryAfterMs`).
 * - `quarantine`: stop this unit and alarm (repeated 4000, a `fatal` error); the spool keeps it.
 * - `stop-sink`: stop every unit of the sink until reconfigured and alarm (4001/4003 credentials,
 *   4415 format); calls keep being spooled.
 */
export type CloseActionKind = "done" | "retry" | "quarantine" | "stop-sink";

/** A {@link closeAction} decision. */
export interface CloseAction {
  kind: CloseActionKind;
  /** Halve the unit's message size before retrying (4413 too large, 4029 rate limited). */
  halveBatch: boolean;
  /** Alarm code for `quarantine` / `stop-sink`, else empty. */
  alarm: string;
}

/** What the unit knows when its connection closed. */
export interface CloseContext {
  /** WebSocket close code (1006 for a dropped connection or a failed connect). */
  code: number;
  /** `code` of the receiver's JSON `error` on this connection, if it sent one. */
  errorCode: number | undefined;
  /** Whether that error said `fatal`. */
  fatal: boolean;
  /** Consecutive protocol errors (4000), this one included. */
  protocolErrors: number;
}

/**
 * The code that decides: the close code, unless the close carries no reason of its own (1005 no
 * status, 1006 abnormal, 1000 without `closed`) and the receiver sent a JSON `error` before it
 * (EASP.md §7: "error then close").
 */
export function effectiveCloseCode(code: number, errorCode: number | undefined): number {
  const generic = code === 1005 || code === 1006 || code === EaspCloseCode.Normal;
  return generic && errorCode !== undefined ? errorCode : code;
}

/**
 * Maps a close to the appliance's action (EASP.md §7): 4010 → done; 4001/4003 → stop the sink
 * (unauthorized); 4415 → stop the sink (format); a fatal error or repeated 4000 → quarantine;
 * 4413/4029 → halve the batch and retry; everything else (1000 without `closed`, 1001, 1006,
 * 1011, 1012, 1013, 4009, 4013, refused connects) → retry with backoff, honouring `retryAfterMs`.
 */
export function closeAction(ctx: CloseContext): CloseAction {
  const code = effectiveCloseCode(ctx.code, ctx.errorCode);
  const action = (kind: CloseActionKind, alarm = "", halveBatch = false): CloseAction => ({
    kind,
    alarm,
    halveBatch,
  });
  switch (code) {
    case EaspCloseCode.SessionClosed:
      return action("done");
    case EaspCloseCode.Unauthorized:
    case EaspCloseCode.Forbidden:
      return action("stop-sink", "SINK_UNAUTHORIZED");
    case EaspCloseCode.UnsupportedCodec:
      return action("stop-sink", "SINK_UNSUPPORTED_FORMAT");
    case EaspCloseCode.MessageTooLarge:
    case EaspCloseCode.RateLimited:
      return action(ctx.fatal ? "quarantine" : "retry", ctx.fatal ? "SINK_FATAL" : "", true);
    default:
      break;
  }
  if (code === EaspCloseCode.ProtocolError && ctx.protocolErrors >= MAX_PROTOCOL_ERRORS) {
    return action("quarantine", "SINK_QUARANTINED");
  }
  if (ctx.fatal) return action("quarantine", "SINK_FATAL");
  return action("retry");
}

/**
 * What `opened.nextSeq` means for the unit (EASP.md §5, `on opened`):
 * - `resume`: within what the appliance holds: send from `start`.
 * - `regressed`: below what the receiver had acknowledged (it lost state), but every item from
 *   there is still in the spool: send from `start`, nothing is lost.
 * - `lost`: below the first item the spool still holds: start a continuation segment whose first
 *   record is a DISCARDED gap.
 * - `ahead`: beyond the last item that exists: protocol error 4000, close, alarm.
 */
export type OpenedVerdict = "resume" | "regressed" | "lost" | "ahead";

/**
 * Decides where to resume after `opened` (EASP.md §5). `firstRetained` is the first seq the unit
 * can still render (items below it were purged from the spool).
 */
export function openedVerdict(
  nextSeq: number,
  lastAvailable: number,
  ackedSeq: number,
  firstRetained: () => number,
): OpenedVerdict {
  if (nextSeq > lastAvailable + 1) return "ahead";
  if (nextSeq < firstRetained()) return "lost";
  return nextSeq > ackedSeq ? "resume" : "regressed";
}
