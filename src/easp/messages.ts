/**
 * The JSON control messages of EASP/1 (EASP.md §4), as TypeScript types. Every message has `type`
 * and `v` (= 1); durable ones (`stream.start`, `stream.end`, `metadata`, `event`) also carry `seq`.
 * Times in JSON: `callEpoch`/`startTime` are ISO-8601 strings with µs; `captureTime`/
 * `endCaptureTime` are integers, µs since the Unix epoch (the record header's unit).
 */
import type { EaspCodec } from "./constants.ts";

/** Output mode of a session (EASP.md §1). */
export type EaspMode = "interleaved" | "per-participant" | "multiplex";

/** One channel of a stream and the SIPREC participant/stream it carries (RFC 7865 §6). */
export interface ChannelMapEntry {
  /** Channel index, 0-based (the sample position within an interleaved frame). */
  channel: number;
  /** RFC 7865 `participant_id`, or empty. */
  participantId: string;
  /** RFC 7865 `stream_id`, or empty. */
  siprecStreamId: string;
  /** `a=label` of the recorded m-line (RFC 4574). */
  label: string;
}

/** Description of one EASP stream (EASP.md §4 `StreamDesc`). */
export interface StreamDesc {
  /** Stream id (u32) used in record headers. */
  streamId: number;
  /** Label (the SIPREC m-line label, or a name for a mixed stream). */
  label: string;
  /** Codec of the payload bytes. */
  codec: EaspCodec;
  /** Sample rate, Hz. */
  rate: number;
  /** Channels, ≥ 1 (interleaved mode: one per participant stream). */
  channels: number;
  /** What each channel carries. */
  channelMap: ChannelMapEntry[];
  /** `pos` of the first record, samples since the call epoch. */
  firstPos: number;
  /** Source of `captureTime`: RTCP SR mapping or arrival time. */
  clock: "rtcp-sr" | "arrival";
  /** Nominal record duration, ms. */
  recordMs: number;
}

/** A participant of the recorded call (RFC 7865 §6.5). */
export interface EaspParticipant {
  /** RFC 7865 `participant_id`. */
  participantId: string;
  /** Address of record. */
  aor: string;
  /** Display name, or empty. */
  name: string;
  /** Role from the appliance's rule: `agent`, `customer` or `unknown`. */
  role: string;
}

/** Client → server: opens or resumes a session (not durable). */
export interface OpenMessage {
  type: "open";
  v: 1;
  /** Session id (UUIDv7), also sent as the `EASP-Session-Id` header. */
  sessionId: string;
  /** Whether the client has sent items of this session before. */
  resume: boolean;
  /** Client's view: last acknowledged seq + 1 (1 for a new session). */
  nextSeq: number;
  /** Call id (UUIDv7 minted by the appliance). */
  callId: string;
  /** Segment number of this session within the call, from 0. */
  segment: number;
  /** Session this one continues, or null. */
  continuationOf: string | null;
  /** Call epoch T0 (capture time of the first media of the call), ISO-8601 with µs. */
  callEpoch: string;
  /** Output mode. */
  mode: EaspMode;
  /** The SIPREC recording session. */
  recording: {
    /** RFC 7865 session id, or empty. */
    siprecSessionId: string;
    /** SIP Call-ID of the SIPREC dialog. */
    sipCallId: string;
    /** SRC address `host:port`. */
    src: string;
    /** When the recording started (INVITE accepted), ISO-8601 with µs. */
    startTime: string;
    /** The latest rs-metadata XML (RFC 7865), if sent. */
    metadataXml?: string;
  };
  /** Participants of the recorded call. */
  participants: EaspParticipant[];
  /** Streams of the session known at open time. */
  streams: StreamDesc[];
  /** The sending appliance. */
  appliance: {
    id: string;
    version: string;
    clock: { sync: "ntp" | "ptp" | "none"; offsetUs?: number };
  };
  /** What the client supports. */
  capabilities: { maxMessageBytes: number; replay: true };
}

/** Client → server, durable: a stream starts (its description inline). */
export interface StreamStartMessage extends StreamDesc {
  type: "stream.start";
  v: 1;
  seq: number;
}

/** Client → server, durable: a stream ended. */
export interface StreamEndMessage {
  type: "stream.end";
  v: 1;
  seq: number;
  streamId: number;
  /** `pos` just past the last record, samples. */
  endPos: number;
  /** Capture time just past the last record, µs since the Unix epoch. */
  endCaptureTime: number;
  /** `bye`, `reinvite`, `rtp-timeout`, `segment-cut`, `error` (or `recovered` after a crash). */
  reason: string;
}

/** Client → server, durable: participant/metadata changes. */
export interface MetadataMessage {
  type: "metadata";
  v: 1;
  seq: number;
  /** µs since the Unix epoch. */
  captureTime: number;
  /** Participant join/leave, role/label updates. */
  changes: unknown[];
  /** RFC 7865 snapshot, if any. */
  metadataXml?: string;
}

/** Client → server, durable: an event on a stream's timeline (DTMF, hold, pause…). */
export interface EventMessage {
  type: "event";
  v: 1;
  seq: number;
  streamId: number;
  pos: number;
  /** µs since the Unix epoch. */
  captureTime: number;
  /** `dtmf`, `hold`, `unhold`, `pause`, `resume`, … */
  kind: string;
  /** Kind-specific data, e.g. `{ digit: "5", durationSamples: 800 }`. */
  data: Record<string, unknown>;
}

/** Client → server: ask for an immediate `ack`. */
export interface SyncMessage {
  type: "sync";
  v: 1;
}

/** Client → server: liveness/RTT probe; `t` is the client's monotonic ms. */
export interface PingMessage {
  type: "ping";
  v: 1;
  t: number;
}

/** Client → server: the client is done with this connection. */
export interface CloseMessage {
  type: "close";
  v: 1;
  reason: "end" | "shutdown" | "error" | "reconnect";
  /** Last durable seq of the session (the server answers `closed` once it committed it). */
  finalSeq: number;
}

/** Either side: a protocol error report, before a close when possible. */
export interface ErrorMessage {
  type: "error";
  v: 1;
  /** EASP close code (EASP.md §7), e.g. 4000. */
  code: number;
  message: string;
  /** Server → client only: retry after this many ms. */
  retryAfterMs?: number;
  /** Server → client only: do not retry until reconfigured. */
  fatal?: boolean;
}

/** Durable client → server items. */
export type DurableMessage = StreamStartMessage | StreamEndMessage | MetadataMessage | EventMessage;

/** Every client → server text message. */
export type ClientMessage =
  | OpenMessage
  | DurableMessage
  | SyncMessage
  | PingMessage
  | CloseMessage
  | ErrorMessage;

/** Server → client: answer to `open`. */
export interface OpenedMessage {
  type: "opened";
  v: 1;
  sessionId: string;
  /** Authoritative: receiver's committed seq + 1 (1 if the session is unknown). */
  nextSeq: number;
  /** Maximum unacknowledged audio in flight. */
  window: { ms: number; bytes: number };
  /** How often the server acks, ms. */
  ackIntervalMs: number;
  /** Largest binary message the server accepts, bytes. */
  maxMessageBytes: number;
  /** Replay pacing: 0 = unlimited, 1.0 = real time. */
  replay: { maxRate: number };
  /** ISO time: the receiver declines older audio. */
  discardBefore?: string;
  /** Start in the paused state. */
  startPaused?: boolean;
}

/** Server → client: every durable item ≤ `seq` is committed. */
export interface AckMessage {
  type: "ack";
  v: 1;
  seq: number;
}

/** Server → client: XOFF/XON or a window update. */
export interface FlowMessage {
  type: "flow";
  v: 1;
  pause?: boolean;
  window?: { ms: number; bytes: number };
}

/** Server → client: the receiver does not want audio for now. */
export interface PauseMessage {
  type: "pause";
  v: 1;
}

/** Server → client: audio wanted again, from `now` or from where it `paused`. */
export interface ResumeMessage {
  type: "resume";
  v: 1;
  from?: "now" | "paused";
}

/** Server → client: the server is closing this connection. */
export interface ServerCloseMessage {
  type: "close";
  v: 1;
  reason: string;
  retryAfterMs?: number;
}

/** Server → client: every item ≤ `finalSeq` is committed; the session is complete. */
export interface ClosedMessage {
  type: "closed";
  v: 1;
  finalSeq: number;
}

/** Server → client: answer to `ping`. */
export interface PongMessage {
  type: "pong";
  v: 1;
  t: number;
}

/** Server → client: an upstream result (e.g. a transcript) positioned on a stream. */
export interface ResultMessage {
  type: "result";
  v: 1;
  streamId?: number;
  pos?: number;
  [key: string]: unknown;
}

/** Every server → client text message. */
export type ServerMessage =
  | OpenedMessage
  | AckMessage
  | FlowMessage
  | PauseMessage
  | ResumeMessage
  | ErrorMessage
  | ServerCloseMessage
  | ClosedMessage
  | PongMessage
  | ResultMessage;

/** Whether a message type is a durable item (carries `seq`, EASP.md §1). */
export function isDurableType(type: string): type is DurableMessage["type"] {
  return type === "stream.start" || type === "stream.end" || type === "metadata" || type === "event";
}
