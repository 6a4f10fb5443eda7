import type { Clock, Logger, TypedEmitter } from "../lib/index.ts";
import type { CallRecord, FrameRecord, Spool, StreamRecord } from "../spool/index.ts";

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

/** Output format of a WebSocket sink: codec and rate (G.711 passthrough/transcode, or L16 big-endian). */
export type SinkFormat = "PCMU/8000" | "PCMA/8000" | "L16/8000";

/** Which participant stream becomes channel 0 of an interleaved sink (ties keep m-line order). */
export type ChannelOrder = "customer-first" | "agent-first" | "label";

/** One configured WebSocket sink (DESIGN.md §5, config key `sinks[]`). */
export interface WebSocketSinkConfig {
  /** Unique name (cursor key, logs, events). */
  name: string;
  /** Sink type. */
  type: "websocket";
  /** `ws://` or `wss://` URL of the receiver. */
  url: string;
  /** Wire protocol: EASP/1 (EASP.md). */
  protocol: "easp";
  /** `interleaved`: one session per call with one N-channel stream; `per-participant`: one session per stream. */
  mode: "interleaved" | "per-participant";
  /**
   * Payload format. `PCMU/8000`/`PCMA/8000` pass G.711 bytes through when the stream's codec
   * matches (else transcode); `L16/8000` is 16-bit signed linear PCM in **network byte order
   * (big-endian)**, RFC 3551 §4.5.11.
   */
  format: SinkFormat;
  /** Extra HTTP headers of the WebSocket upgrade (e.g. `Authorization: Bearer …`). */
  headers: Record<string, string>;
  /** Interleaved mode: which participant is channel 0. @default "customer-first" */
  channelOrder?: ChannelOrder;
}

/** Options of {@link SinkDispatcher} (`createSinkDispatcher`). */
export interface SinkDispatcherOptions {
  /** Configured sinks; every call gets a unit (or one per stream) on each. */
  sinks: WebSocketSinkConfig[];
  /** The spool: audio is read back from it when a unit is behind; cursors are stored in it. */
  spool: Spool;
  /** `EASP-Appliance-Id` header and `open.appliance.id`. */
  applianceId: string;
  /** Software version for `open.appliance.version`. */
  version: string;
  /** Timers (backoff, ping, hold-back) and wall time (REPLAY flag). @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Reconnect backoff: exponential from `initialMs` to `maxMs`, full jitter, ms. @default { initialMs: 500, maxMs: 30000 } */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * Interleaved mode: how long a 20 ms output slot waits for a lagging channel before it is sent
   * with that channel silence-filled, ms of timeline (and of wall time when every channel stalls).
   * @default 200
   */
  holdBackMs?: number;
}

/**
 * The sink side of the appliance: receives the recording feed ({@link SinkFeed}) and delivers
 * each call to every configured sink over EASP/1, losslessly across reconnects.
 */
export interface SinkDispatcher extends SinkFeed, TypedEmitter<SinkDispatcherEvents> {
  /** Status of every active unit; with `callId`, that call's units (also after delivery, for the last 200 calls). */
  status(callId?: string): SinkUnitStatus[];
  /** Stops reconnecting, gives connected units ~2 s to get their sent items acknowledged, then closes every socket. */
  close(): Promise<void>;
}
