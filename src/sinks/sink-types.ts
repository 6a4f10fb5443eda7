import type { Clock, Logger, TypedEmitter } from "../lib/index.ts";
import type { CallRecord, FrameRecord, Spool, StreamRecord } from "../spool/index.ts";

/**
 * Why a stream ended (EASP `stream.end.reason`): `stopped` when streaming to the sink was stopped for
 * the call (stopStream) while the call goes on.
 */
export type StreamEndReason =
  | "bye"
  | "reinvite"
  | "rtp-timeout"
  | "segment-cut"
  | "error"
  | "recovered"
  | "stopped";

/**
 * Connection state of one sink unit, for status and events: `connecting` (dialling, or waiting for
 * `opened`), `open` (live), `replaying` (open and sending a backlog older than the replay threshold),
 * `backoff` (waiting to reconnect), `circuit-open` (its sink's circuit breaker stops dialling),
 * `closing` (shutting down), `done` (delivered), `failed` (stopped until reconfigured: rejected,
 * quarantined; the spool keeps the audio).
 */
export type SinkUnitState =
  | "connecting"
  | "open"
  | "replaying"
  | "backoff"
  | "circuit-open"
  | "closing"
  | "done"
  | "failed";

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
  /**
   * Cursor unit: `call` (interleaved) or the stream id (per-participant); a later segment session
   * of the same output is `<unit>#<segment>` (e.g. `12#1`).
   */
  unit: string;
  /** EASP session id. */
  sessionId: string;
  /** EASP `segment` of the session: 0, then 1, 2… for continuation sessions (live-first, ack regression). */
  segment: number;
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
  /** Audio not yet acknowledged by the receiver (spooled or in flight), ms. */
  backlogMs: number;
}

/** Events the sink dispatcher reports upwards (to `app`, for MQTT/log/page). */
export type SinkDispatcherEvents = {
  /** A unit connected and the receiver answered `opened`. */
  unitconnected: [SinkUnitStatus];
  /** A unit lost its connection (reason text); `backlogMs` says how much audio it still owes. */
  unitdisconnected: [SinkUnitStatus, string];
  /**
   * A unit that was behind (after a reconnect, or from `recover()`) has sent, and had acknowledged,
   * everything up to the live edge (what is left is younger than the replay threshold).
   */
  unitcaughtup: [SinkUnitStatus];
  /** A unit delivered everything (receiver sent `closed`). */
  unitdone: [SinkUnitStatus];
  /**
   * Something an operator must act on, with a stable code: `SINK_QUARANTINED` (repeated protocol
   * errors), `SINK_ACK_REGRESSION` (the receiver lost acknowledged audio the spool no longer has:
   * a DISCARDED gap was sent), `SINK_RECEIVER_AHEAD` (the receiver claims items never sent),
   * `SINK_UNAUTHORIZED` (4001/4003), `SINK_UNSUPPORTED_FORMAT` (4415), `SINK_FATAL` (fatal `error`).
   */
  unitalarm: [SinkUnitStatus, string, string];
};

/** Replay strategy after an outage (EASP.md §5 "Replay policy"). */
export type ReplayStrategy = "in-order" | "live-first";

/** How a sink delivers audio spooled while it was unreachable (config `sinks[].replay`). */
export interface ReplayConfig {
  /**
   * Upper bound of the replay pace, × real time; the receiver's `opened.replay.maxRate` applies
   * too, the lower one wins; 0 = as fast as acknowledgements allow. @default 0
   */
  maxRate: number;
  /**
   * `in-order`: one session, backlog first then live, catching up. `live-first`: when the receiver
   * is reachable again the session is cut (its tail is the backlog, ending with
   * `stream.end{reason:"segment-cut"}`) and live audio continues at once on a new segment session
   * (`continuationOf`, `segment + 1`) sent in parallel. @default "in-order"
   */
  strategy: ReplayStrategy;
  /** Records older than this when sent carry the REPLAY flag, ms. @default 2000 */
  thresholdMs?: number;
}

/** The circuit breaker of one sink (config `sinks[].circuit_breaker`). */
export interface CircuitBreakerConfig {
  /** Consecutive failed connects (across the sink's units) that open the circuit. @default 5 */
  failures: number;
  /** How long an open circuit stops dialling before one probe is let through, ms. @default 30000 */
  coolDownMs: number;
}

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
  /** Replay pace and strategy. @default { maxRate: 0, strategy: "in-order", thresholdMs: 2000 } */
  replay?: ReplayConfig;
  /** Circuit breaker. @default { failures: 5, coolDownMs: 30000 } */
  circuitBreaker?: CircuitBreakerConfig;
}

/**
 * A sink chosen for one call (routing rules, new-call webhook, command `startStream`): a configured
 * sink by name, with optional per-call overrides. A name that is not configured defines a sink for
 * this call only; it needs `url` (then `mode` defaults to `interleaved`, `format` to `PCMU/8000`,
 * `protocol` to `easp`, and it gets its own circuit breaker and the default replay and breaker
 * settings). A configured sink whose `url` is overridden gets its own circuit breaker and only the
 * given `headers` (the configured ones, e.g. its bearer token, are not sent to another URL);
 * otherwise the given `headers` are added to the configured ones.
 */
export interface CallSinkChoice {
  /** Sink name (cursor key, events). */
  sink: string;
  /** `ws://` or `wss://` URL of the receiver. */
  url?: string;
  /** Wire protocol (EASP/1). */
  protocol?: "easp";
  /** One session per call (`interleaved`) or one per stream (`per-participant`). */
  mode?: "interleaved" | "per-participant";
  /** Payload format. */
  format?: SinkFormat;
  /** Extra HTTP headers of the WebSocket upgrade. */
  headers?: Record<string, string>;
}

/** A call's routed sink and whether streaming to it was stopped (command `stopStream`). */
export interface CallSinkState {
  /** Sink name. */
  sink: string;
  /** `active`: units deliver the call; `stopped`: they deliver up to the stop, then end. */
  state: "active" | "stopped";
  /** The per-call overrides it was chosen with (`{}` when none). */
  overrides: Omit<CallSinkChoice, "sink">;
}

/** Options of {@link SinkDispatcher} (`createSinkDispatcher`). */
export interface SinkDispatcherOptions {
  /**
   * Configured sinks. Without {@link explicitRouting} every call gets a unit (or one per stream) on
   * each; with it, the sinks `route()` names.
   */
  sinks: WebSocketSinkConfig[];
  /**
   * `false`: every call is routed to every configured sink when it starts. `true`: no unit of a call
   * is built until {@link SinkDispatcher.route} decides its sinks; its audio waits in the spool and
   * the units start from the call's first frame (older audio carries the REPLAY flag as usual).
   * @default false
   */
  explicitRouting?: boolean;
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
  /** Source of the backoff jitter, uniform in [0, 1). @default Math.random */
  random?: () => number;
  /**
   * Units of recovered calls (from `recover()`) that may connect at the same time, per sink; the
   * others wait their turn (bounded sockets and file descriptors after a long outage). @default 64
   */
  recoveryConcurrency?: number;
  /**
   * Interleaved mode: how long a 20 ms output slot waits for a lagging channel before it is sent
   * with that channel silence-filled, ms of timeline (and of wall time when every channel stalls).
   * @default 200
   */
  holdBackMs?: number;
}

/**
 * The sink side of the appliance: receives the recording feed ({@link SinkFeed}) and delivers
 * each call to its sinks (every configured sink, or those chosen per call) over EASP/1, losslessly
 * across reconnects.
 */
export interface SinkDispatcher extends SinkFeed, TypedEmitter<SinkDispatcherEvents> {
  /**
   * Decides the sinks of a call (routing rules or new-call webhook; DESIGN.md §5) and builds their
   * units, which deliver the call from its first frame. An empty list records the call without
   * forwarding it. The decision is stored in the spool before any unit is built, so `recover()` and
   * `isDelivered()` follow it after a restart. Allowed once per call, also after the call ended
   * (a webhook that answers after the BYE): then the units deliver the whole recorded call.
   * @throws SinkError `SINK_UNKNOWN_CALL` (no call of that id is known to the dispatcher),
   *   `SINK_ALREADY_ROUTED` (decided before; always so without `explicitRouting`), `SINK_UNKNOWN`
   *   (a name that is not configured, without `url`), `SINK_CONFIG` (an override that cannot be used,
   *   or a sink chosen twice).
   * @throws SpoolError `SPOOL_UNKNOWN_CALL`, `SPOOL_WRITE` when the decision cannot be stored (nothing changes).
   */
  route(callId: string, choices: CallSinkChoice[]): void;
  /**
   * Adds one sink to a live, routed call (command `startStream`): its new unit(s) deliver the call
   * from its first frame (backlog with the REPLAY flag, then live). A sink stopped on this call
   * starts again on a continuation segment (EASP `continuationOf`) at the live edge: the stopped span
   * is not sent, the receiver sees the jump in `pos`; it keeps the overrides it was first chosen with.
   * @throws SinkError `SINK_UNKNOWN_CALL` (not a live call known to the dispatcher), `SINK_NOT_ROUTED`
   *   (the call's sinks are not decided yet), `SINK_UNKNOWN`, `SINK_CONFIG` (also: other overrides for
   *   a stopped sink), `SINK_ALREADY_STARTED` (active on this call).
   * @throws SpoolError `SPOOL_WRITE` when the change cannot be stored (nothing changes).
   */
  startSink(callId: string, choice: CallSinkChoice): void;
  /**
   * Stops streaming a live call to one sink (command `stopStream`): its units are cut at their live
   * edge (per-participant: the newest frame; interleaved: the newest released 20 ms slot), deliver
   * everything up to it, then end each EASP session with `stream.end{reason:"stopped"}` and `close`.
   * The cut is stored first, so after a restart exactly that much is delivered.
   * @throws SinkError `SINK_UNKNOWN_CALL` (not a live call known to the dispatcher),
   *   `SINK_ALREADY_STOPPED` (the call is not routed to that sink, or it was stopped already).
   * @throws SpoolError `SPOOL_WRITE` when the cut cannot be stored (nothing changes).
   */
  stopSink(callId: string, sink: string): void;
  /**
   * The sinks a call is routed to, in the order chosen; undefined when its routing is not decided yet
   * or the call is unknown. For calls that are no longer delivered, what the spool stored.
   */
  callSinks(callId: string): CallSinkState[] | undefined;
  /**
   * Config reload: calls routed from now on use these sink definitions; units already built, and the
   * calls already routed, keep theirs. Circuit breakers of sinks whose name stays are kept.
   * @throws SinkError `SINK_CONFIG` when a sink cannot be used (nothing changes then).
   */
  reconfigure(sinks: WebSocketSinkConfig[]): void;
  /**
   * Delivers what the spool still owes the sinks, after a restart (DESIGN.md §4): every call that
   * is not `live` and whose units on its sinks are not all `done` (including calls that never got a
   * cursor) gets its units back, each resuming its EASP session from the receiver's
   * `opened.nextSeq`, up to `stream.end` and `close`, oldest call first. A call's sinks are those
   * stored by its routing (a stopped sink up to its cut; a stored sink that is no longer configured
   * and has no `url` is skipped); a call never routed gets every configured sink. Call once, after the spool
   * closed the calls a crash left live. The spool is examined in batches across event-loop turns
   * (≈ 30 µs per call), so a large spool does not hold up the start.
   */
  recover(): void;
  /**
   * Whether a call needs nothing more from the sinks (the spool purge asks): true when every unit
   * of the call on each of its sinks (one per stream per-participant, one per call interleaved, with
   * their segment sessions) is `done`, or when it has no sink. Its sinks are chosen as in `recover()`:
   * the stored routing (a stopped sink up to its cut), else every configured sink. A live
   * call is never delivered; a call without audio needs no interleaved unit.
   */
  isDelivered(callId: string): boolean;
  /** Status of every active unit; with `callId`, that call's units (also after delivery, for the last 200 calls). */
  status(callId?: string): SinkUnitStatus[];
  /** Stops reconnecting, gives connected units ~2 s to get their sent items acknowledged, then closes every socket. */
  close(): Promise<void>;
}
