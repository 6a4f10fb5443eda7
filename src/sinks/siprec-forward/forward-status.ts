import type { Spool } from "../../spool/index.ts";
import type { ForwardState, ForwardStatus } from "./forward-types.ts";
import { type ProgressStore, type StoredRoute, uncoveredCount } from "./progress.ts";
import type { SinkForward } from "./sink-forward.ts";

/** Status of a forward the forwarder follows. */
export function forwardStatus(forward: SinkForward, spool: Spool): ForwardStatus {
  const session = forward.live ?? forward.replay ?? forward.last;
  const info = session?.info();
  let state: ForwardState = "owed";
  if (forward.done) state = "done";
  else if (forward.live) state = forward.live.established ? "live" : "starting";
  else if (forward.replay) state = forward.replay.established ? "replaying" : "starting";
  const replay = forward.replay?.info().replay;
  return {
    sink: forward.sink,
    callId: forward.entry.call.callId,
    uri: forward.forward.uri,
    state,
    target: info?.target ?? "",
    sipCallId: info?.sipCallId ?? "",
    packetsSent: forward.sessions().reduce((sum, s) => sum + s.packetsSent(), 0),
    owedFrames: forward.done ? 0 : forward.owedFrames(spool),
    lastError: forward.lastError,
    ...(replay ? { replay } : {}),
    ...(forward.forward.reference ? { reference: forward.forward.reference } : {}),
  };
}

/** Status of a forward known only from the spool (a call no longer followed). */
export function storedStatus(
  route: StoredRoute,
  spool: Spool,
  store: ProgressStore,
  uri: string,
): ForwardStatus {
  let owedFrames = 0;
  if (!route.done) {
    const segments = store.segments(route.callId, route.sink);
    for (const stream of spool.listStreams(route.callId)) {
      const covered = segments
        .filter((s) => s.streamId === stream.streamId && s.acked >= s.from)
        .map((s) => ({ from: s.from, to: s.acked }));
      owedFrames += uncoveredCount(covered, spool.lastIdx(stream.streamId));
    }
  }
  return {
    sink: route.sink,
    callId: route.callId,
    uri,
    state: route.done ? "done" : "owed",
    target: "",
    sipCallId: "",
    packetsSent: 0,
    owedFrames,
    lastError: "",
    ...(route.choice.reference ? { reference: route.choice.reference } : {}),
  };
}
