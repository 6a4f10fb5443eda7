import { CommandError, type ParsedCommand } from "../../control/index.ts";
import { SrsError } from "../../lib/index.ts";
import type { CallSinkChoice, CallSinkState, SinkDispatcher, SiprecForwarder } from "../../sinks/index.ts";
import type { CallRecord, Spool } from "../../spool/index.ts";
import type { RecordingSession, Srs } from "../../srs/index.ts";
import type { CallRouting } from "../call-routing.ts";
import { forwardChoice } from "../config-mapping.ts";

/** Parameters of one of the call commands. */
type ParamsOf<N extends ParsedCommand["name"]> = Extract<ParsedCommand, { name: N }>["params"];

/** What the call commands act on. */
export interface CallCommandDeps {
  srs: Srs;
  spool: Spool;
  dispatcher: SinkDispatcher;
  forwarder: SiprecForwarder;
  routing: CallRouting;
  /** A call's sinks changed by command (for the SESSIONUPDATED `routing` event). */
  onSinksChanged(call: CallRecord, sinks: CallSinkState[]): void;
}

/** Sink dispatcher error codes → command error codes (README "Command error codes"). */
const sinkErrors: Record<string, ConstructorParameters<typeof CommandError>[0]> = {
  SINK_UNKNOWN_CALL: "NO_SUCH_CALL",
  SINK_NOT_ROUTED: "REQUEST_PENDING",
  SINK_UNKNOWN: "NO_SUCH_SINK",
  SINK_ALREADY_STARTED: "ALREADY_STARTED",
  SINK_ALREADY_STOPPED: "ALREADY_STOPPED",
  SINK_ALREADY_ROUTED: "REQUEST_PENDING",
  SINK_CONFIG: "INVALID_ARGUMENT",
  SIPREC_FORWARD_UNKNOWN_CALL: "NO_SUCH_CALL",
  SIPREC_FORWARD_NOT_LIVE: "CALL_ENDING",
  SIPREC_FORWARD_UNKNOWN_SINK: "NO_SUCH_SINK",
  SIPREC_FORWARD_CONFIG: "INVALID_ARGUMENT",
  SIPREC_FORWARD_SRTP_NEEDS_TLS: "INVALID_ARGUMENT",
  SIPREC_FORWARD_ALREADY_STARTED: "ALREADY_STARTED",
  SIPREC_FORWARD_NOT_STARTED: "ALREADY_STOPPED",
};

/** The parameter a sink error is about, when it is one (the reply's `field`). */
const fieldOf: Record<string, string> = {
  SIPREC_FORWARD_SRTP_NEEDS_TLS: "srtp",
  SIPREC_FORWARD_UNKNOWN_SINK: "sink",
  SINK_UNKNOWN: "sink",
};

/**
 * The live recording session a call command addresses, by `sessionId` (our call id) or by a
 * correlation id.
 * @throws CommandError NO_SUCH_CALL (unknown), CALL_ENDING (ended or ending), REQUEST_PENDING
 *   (its routing still waits for the new-call webhook).
 */
function liveSession(
  deps: CallCommandDeps,
  params: { sessionId?: string; correlationId?: string },
): RecordingSession {
  const ref =
    params.sessionId !== undefined
      ? { sessionId: params.sessionId }
      : { correlationId: params.correlationId ?? "" };
  const session = deps.srs.find(ref);
  if (!session) {
    const id = params.sessionId ?? params.correlationId ?? "";
    if (params.sessionId !== undefined && deps.spool.getCall(params.sessionId)) {
      throw new CommandError("CALL_ENDING", `call ${id} has ended: nothing more to record`);
    }
    throw new CommandError("NO_SUCH_CALL", `no live call has the id ${JSON.stringify(id)}`);
  }
  if (session.closed) {
    throw new CommandError("CALL_ENDING", `call ${session.call.callId} is ending: nothing more to record`);
  }
  if (deps.routing.pending(session.call.callId)) {
    throw new CommandError(
      "REQUEST_PENDING",
      `call ${session.call.callId} is waiting for the new-call webhook's routing; try again shortly`,
    );
  }
  return session;
}

/** Runs a dispatcher change, turning its errors into command errors. */
function onSinks<T>(change: () => T): T {
  try {
    return change();
  } catch (err) {
    const code = err instanceof SrsError ? sinkErrors[err.code] : undefined;
    if (code) {
      const field = err instanceof SrsError ? fieldOf[err.code] : undefined;
      throw new CommandError(code, err instanceof Error ? err.message : String(err), field ? { field } : {});
    }
    throw err;
  }
}

/**
 * `startStream`: adds a sink to a live call (with per-call overrides of url, protocol, mode,
 * format, headers); it receives the call from its first frame, then live.
 */
export function startStream(deps: CallCommandDeps, params: ParamsOf<"startStream">): Record<string, unknown> {
  const session = liveSession(deps, params);
  const { sessionId: _s, correlationId: _c, ...choice } = params;
  const callId = session.call.callId;
  onSinks(() => deps.dispatcher.startSink(callId, choice as CallSinkChoice));
  const sinks = deps.dispatcher.callSinks(callId) ?? [];
  deps.onSinksChanged(session.call, sinks);
  return { sessionId: callId, sink: params.sink, sinks };
}

/** `stopStream`: stops a sink on a live call; what was recorded until now is still delivered. */
export function stopStream(deps: CallCommandDeps, params: ParamsOf<"stopStream">): Record<string, unknown> {
  const session = liveSession(deps, params);
  const callId = session.call.callId;
  onSinks(() => deps.dispatcher.stopSink(callId, params.sink));
  const sinks = deps.dispatcher.callSinks(callId) ?? [];
  deps.onSinksChanged(session.call, sinks);
  return { sessionId: callId, sink: params.sink, sinks };
}

/**
 * `pauseRecording` / `resumeRecording` (PCI pause): while paused, nothing of the call's audio is
 * stored or forwarded; the sinks get PAUSED_POLICY gaps for the span.
 * @throws CommandError ALREADY_PAUSED / NOT_PAUSED.
 */
export function setPaused(
  deps: CallCommandDeps,
  params: ParamsOf<"pauseRecording">,
  paused: boolean,
): Record<string, unknown> {
  const session = liveSession(deps, params);
  if (!session.setPolicyPause(paused, params.reason ?? "")) {
    throw paused
      ? new CommandError("ALREADY_PAUSED", `call ${session.call.callId} is already paused`)
      : new CommandError("NOT_PAUSED", `call ${session.call.callId} is not paused by command`);
  }
  return {
    sessionId: session.call.callId,
    paused,
    streams: session.streamStatus().map((s) => ({ streamId: s.stream.streamId, paused: s.paused })),
  };
}

/**
 * `startSIPRecForward`: forwards a live call as SRC to a remote SRS (a configured siprec sink, or
 * an ad-hoc `uri`), from the call's first frame; the SIPRECFORWARD* events tell how it goes.
 */
export function startSiprecForward(
  deps: CallCommandDeps,
  params: ParamsOf<"startSIPRecForward">,
): Record<string, unknown> {
  const session = liveSession(deps, params);
  const { sessionId: _s, correlationId: _c, ...spec } = params;
  const callId = session.call.callId;
  onSinks(() => deps.forwarder.start(callId, forwardChoice(spec)));
  deps.onSinksChanged(session.call, deps.dispatcher.callSinks(callId) ?? []);
  return { sessionId: callId, sink: params.sink, forwards: deps.forwarder.forwards(callId) };
}

/** `stopSIPRecForward`: BYE to the remote SRS now; nothing more is owed to it for this call. */
export function stopSiprecForward(
  deps: CallCommandDeps,
  params: ParamsOf<"stopSIPRecForward">,
): Record<string, unknown> {
  const session = liveSession(deps, params);
  const callId = session.call.callId;
  onSinks(() => deps.forwarder.stop(callId, params.sink));
  deps.onSinksChanged(session.call, deps.dispatcher.callSinks(callId) ?? []);
  return { sessionId: callId, sink: params.sink, forwards: deps.forwarder.forwards(callId) };
}
