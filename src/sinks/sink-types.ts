import type { CallRecord, FrameRecord, StreamRecord } from "../spool/index.ts";

/** Why a stream ended (EASP `stream.end.reason`). */
export type StreamEndReason = "bye" | "reinvite" | "rtp-timeout" | "segment-cut" | "error" | "recovered";

/** Connection state of one sink unit, for status and events. */
export type SinkUnitState = "connecting" | "open" | "backoff" | "closing" | "done" | "failed";

/**
 * What the recording side tells the sinks. `app/` forwards the SRS observer events here;
 * sinks read audio back from the spool by `(streamId, idx)` whenever they lag behind.
 */
export interface SinkFeed {
  /** A call started recording (participants may still be empty). */
  callStarted(call: CallRecord): void;
  /** A call's metadata or participants changed. */
  callUpdated(call: CallRecord): void;
  /** A stream started (first m-line of its kind negotiated). */
  streamStarted(call: CallRecord, stream: StreamRecord): void;
  /** A frame was appended to the spool (hot path: no copies, no allocation beyond the call). */
  frame(frame: FrameRecord): void;
  /** A stream ended; no frame of it follows. */
  streamEnded(stream: StreamRecord, reason: StreamEndReason): void;
  /** A call ended; every stream has ended before this is called. */
  callEnded(call: CallRecord): void;
}

/** Status of one sink unit (one EASP session / one WebSocket). */
export interface SinkUnitStatus {
  /** Sink name from the config. */
  sink: string;
  /** Call id. */
  callId: string;
  /** `call` (interleaved) or the stream id (per-participant). */
  unit: string;
  /** EASP session id. */
  sessionId: string;
  /** Connection state. */
  state: SinkUnitState;
  /** Durable items sent (highest seq sent). */
  sentSeq: number;
  /** Highest seq acknowledged. */
  ackedSeq: number;
  /** Reconnect attempts so far. */
  reconnects: number;
  /** Last error text, or empty. */
  lastError: string;
}

/** Events the sink dispatcher reports upwards (to `app`, for MQTT/log/page). */
export type SinkDispatcherEvents = {
  /** A unit connected and the receiver answered `opened`. */
  unitconnected: [SinkUnitStatus];
  /** A unit lost its connection (reason text). */
  unitdisconnected: [SinkUnitStatus, string];
  /** A unit delivered everything (receiver sent `closed`). */
  unitdone: [SinkUnitStatus];
};
