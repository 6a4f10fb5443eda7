import type { CallRecord } from "../spool/index.ts";
import { callSubject, makeEvent } from "./event-common.ts";
import type {
  AppEvent,
  EventContext,
  SiprecForwardBody,
  SiprecForwardFailedBody,
  SiprecForwardStoppedBody,
} from "./event-types.ts";

/** What the forwarder reports about one forward session (the SIPRECFORWARD* events' input). */
export interface SiprecForwardInput {
  sink: string;
  callId: string;
  uri: string;
  target: string;
  sipCallId: string;
  replay?: { originalStart: string; spanStart: string; spanEnd: string };
  reference?: Record<string, unknown>;
}

function body(input: SiprecForwardInput): SiprecForwardBody {
  return {
    sink: input.sink,
    uri: input.uri,
    target: input.target,
    sipCallId: input.sipCallId,
    replay: input.replay ?? null,
    reference: input.reference ?? null,
  };
}

function subject(input: SiprecForwardInput, call: CallRecord | undefined) {
  return call ? callSubject(call) : { sessionId: input.callId, correlation: {} };
}

/** SIPRECFORWARDSTARTED: the remote SRS answered our recording session (2xx) and audio flows. */
export function siprecForwardStarted(
  input: SiprecForwardInput,
  call: CallRecord | undefined,
  ctx: EventContext,
): AppEvent<SiprecForwardBody> {
  return makeEvent("SIPRECFORWARDSTARTED", ctx, subject(input, call), body(input));
}

/**
 * SIPRECFORWARDFAILED: no target of the SRS took the session; what was not sent is kept and
 * replayed when a target is back.
 */
export function siprecForwardFailed(
  input: SiprecForwardInput & { status: number; reason: string },
  call: CallRecord | undefined,
  ctx: EventContext,
): AppEvent<SiprecForwardFailedBody> {
  return makeEvent("SIPRECFORWARDFAILED", ctx, subject(input, call), {
    ...body(input),
    status: input.status,
    reason: input.reason,
  });
}

/** SIPRECFORWARDSTOPPED: the forward session ended (BYE sent or received, or given up). */
export function siprecForwardStopped(
  input: SiprecForwardInput & { reason: string },
  call: CallRecord | undefined,
  ctx: EventContext,
): AppEvent<SiprecForwardStoppedBody> {
  return makeEvent("SIPRECFORWARDSTOPPED", ctx, subject(input, call), {
    ...body(input),
    reason: input.reason,
  });
}
