import type { ForwardStatus, SinkUnitStatus } from "../sinks/index.ts";
import type { SinkHealth, SinkHealthState } from "../web/index.ts";

/** Audio per spooled frame assumed for a SIPREC forward's owed frames, ms (20 ms ptime). */
const frameMs = 20;

/** A configured sink: its name and kind. */
export interface ConfiguredSink {
  name: string;
  type: "websocket" | "siprec";
}

/** How bad each state is: the worst one of a sink's units or forwards is the sink's. */
const severity: Record<SinkHealthState, number> = {
  idle: 0,
  connected: 1,
  connecting: 2,
  replaying: 3,
  "backing-off": 4,
  failed: 5,
};

function unitState(unit: SinkUnitStatus): SinkHealthState {
  switch (unit.state) {
    case "open":
    case "closing":
      return "connected";
    case "done":
      return "idle";
    case "connecting":
      return "connecting";
    case "replaying":
      return "replaying";
    case "backoff":
    case "circuit-open":
      return "backing-off";
    case "failed":
      return "failed";
  }
}

function forwardState(forward: ForwardStatus): SinkHealthState {
  switch (forward.state) {
    case "live":
      return "connected";
    case "starting":
      return "connecting";
    case "replaying":
      return "replaying";
    case "owed":
      return "backing-off";
    case "done":
      return "idle";
  }
}

interface Part {
  state: SinkHealthState;
  backlogMs: number;
  lastError: string;
}

function summarize(sink: ConfiguredSink, parts: Part[]): SinkHealth {
  let state: SinkHealthState = "idle";
  let backlogMs = 0;
  let lastError = "";
  for (const part of parts) {
    if (severity[part.state] > severity[state]) state = part.state;
    backlogMs += part.backlogMs;
    if (part.lastError && (!lastError || part.state !== "connected")) lastError = part.lastError;
  }
  const active = parts.filter((p) => p.state !== "idle").length;
  return { name: sink.name, type: sink.type, state, active, backlogS: backlogMs / 1000, lastError };
}

/**
 * The health of each configured sink for the page's banner (issue #6), from the active sink units
 * (`dispatcher.status()`) and the SIPREC forwards of the calls still being delivered: the worst
 * state of its units/forwards — `failed` > `backing-off` (backoff, circuit open; a forward whose
 * audio is owed) > `replaying` > `connecting` > `connected` > `idle` (nothing to deliver) — with
 * the summed backlog (a forward's owed frames count 20 ms each) and the last error seen. Sinks
 * that are no longer configured but still deliver are listed after the configured ones.
 */
export function sinkHealth(
  configured: readonly ConfiguredSink[],
  units: readonly SinkUnitStatus[],
  forwards: readonly ForwardStatus[],
): SinkHealth[] {
  const parts = new Map<string, { sink: ConfiguredSink; parts: Part[] }>();
  for (const sink of configured) parts.set(sink.name, { sink, parts: [] });
  const add = (name: string, type: ConfiguredSink["type"], part: Part): void => {
    const entry = parts.get(name) ?? { sink: { name, type }, parts: [] };
    entry.parts.push(part);
    parts.set(name, entry);
  };
  for (const unit of units) {
    add(unit.sink, "websocket", {
      state: unitState(unit),
      backlogMs: Math.max(0, unit.backlogMs),
      lastError: unit.lastError,
    });
  }
  for (const forward of forwards) {
    add(forward.sink, "siprec", {
      state: forwardState(forward),
      backlogMs: forward.owedFrames * frameMs,
      lastError: forward.lastError,
    });
  }
  return [...parts.values()].map((entry) => summarize(entry.sink, entry.parts));
}

/**
 * When the oldest audio a sink unit still owes was recorded: the start of the oldest call with a
 * unit that has a backlog, or that has not connected yet (`connecting`); 0 when nothing is owed.
 * `/metrics` (`oldest undelivered age`) and the status page both use it.
 * @param startedUsOf the call's start, µs since the Unix epoch (0 when unknown).
 * @returns µs since the Unix epoch, or 0.
 */
export function oldestUndeliveredUs(
  units: readonly SinkUnitStatus[],
  startedUsOf: (callId: string) => number,
): number {
  let oldestUs = 0;
  for (const unit of units) {
    if (unit.state === "done" || (unit.backlogMs === 0 && unit.state !== "connecting")) continue;
    const startedUs = startedUsOf(unit.callId);
    if (startedUs > 0 && (oldestUs === 0 || startedUs < oldestUs)) oldestUs = startedUs;
  }
  return oldestUs;
}

/** Age of {@link oldestUndeliveredUs} at `nowUs`, seconds (0 when nothing is owed). */
export function oldestUndeliveredAgeS(oldestUs: number, nowUs: number): number {
  return oldestUs > 0 ? Math.max(0, (nowUs - oldestUs) / 1e6) : 0;
}

/**
 * The calls whose SIPREC forwards matter now: the live ones and those a sink unit still delivers
 * (a forward of another call is done or waits in the spool as owed audio).
 */
export function deliveringCallIds(
  liveCallIds: readonly string[],
  units: readonly SinkUnitStatus[],
): Set<string> {
  const ids = new Set(liveCallIds);
  for (const unit of units) ids.add(unit.callId);
  return ids;
}
