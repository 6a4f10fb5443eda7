import type { CallCaptureOpener } from "../capture/index.ts";
import type { Clock, Logger } from "../lib/index.ts";
import type { PortPool, RtpReceiverStats } from "../media/index.ts";
import type { SipStack } from "../sip/index.ts";
import type { CallRecord, FrameRecord, Spool, StreamRecord } from "../spool/index.ts";
import type { RoleRule } from "./roles.ts";

/**
 * Why a stream (or the whole recording session) stopped; `session-expired`: the SRC stopped refreshing
 * its session (RFC 4028 §10) or no longer knows the dialog, and the SRS sent BYE.
 */
export type StreamStopReason =
  | "bye"
  | "reinvite"
  | "no-ack"
  | "cancelled"
  | "shutdown"
  | "error"
  | "session-expired";

/** Live view of one stream: its record plus the receiver's counters. */
export interface StreamStatus {
  /** The stored stream. */
  stream: StreamRecord;
  /** RTP counters of its receiver (zeros once stopped and released). */
  rtp: RtpReceiverStats;
  /** Whether recording is paused (SDP `inactive` / `c=0.0.0.0`, or `pauseRecording`). */
  paused: boolean;
}

/** Receives every frame the SRS appends to the spool, in order per stream (the sinks' live feed). */
export interface FrameListener {
  /** Called once per frame after it was appended; `frame.idx` is its place in the stream. */
  frame(frame: FrameRecord): void;
}

/** Whether the SRS takes new recording sessions; when not, INVITE and OPTIONS get 503. */
export type Admission = { accept: true } | { accept: false; reason: string; retryAfterS: number };

/** Who paused or resumed a stream: the SRC's SDP (`sip`) or an operator command (`command`, with its note). */
export interface PauseCause {
  reason: "sip" | "command";
  /** The command's free-text reason (e.g. `PCI`), or absent. */
  note?: string;
}

/** The INVITE that opened a recording session, as routing rules see it (only at `sessionstarted`). */
export interface InviteInfo {
  /** Request-URI of the INVITE. */
  requestUri: string;
  /** SRC (SBC) IP address the INVITE came from, without port. */
  sourceAddress: string;
  /** First value of a header, case-insensitive; undefined when absent. */
  header(name: string): string | undefined;
}

/** Observer events of the SRS (monitoring: app maps them to MQTT events, logs and the page). */
export type SrsObserverEvents = {
  /** A recording session was answered (200 OK sent). */
  sessionstarted: [CallRecord, StreamRecord[], InviteInfo];
  /** Metadata or participants changed (re-INVITE, UPDATE, BYE with metadata). */
  sessionupdated: [CallRecord];
  /** A stream was negotiated and its receiver bound. */
  streamstarted: [CallRecord, StreamRecord];
  /** A stream ended; `rtp` holds its final counters. */
  streamstopped: [CallRecord, StreamRecord, RtpReceiverStats, StreamStopReason];
  /** Recording paused (true) or resumed (false) on a stream, by SDP direction or by command. */
  recordingpaused: [CallRecord, StreamRecord, boolean, PauseCause];
  /** The recording session ended; every stream has stopped. */
  sessioncompleted: [CallRecord];
  /** A SIP request was refused with a final error response (for counters and logs). */
  rejected: [{ method: string; status: number; reason: string; source: string; callId: string }];
};

/** Options of {@link createSrs}. */
export interface SrsOptions {
  /** The SIP stack to register handlers on (started by the caller). */
  sip: SipStack;
  /** The spool every frame goes to. */
  spool: Spool;
  /** Where each appended frame is announced (the sink dispatcher). */
  frames: FrameListener;
  /** RTP port pool of `media.port_range`. */
  ports: PortPool;
  /** Address RTP receivers bind to (`media.address`). */
  mediaAddress: string;
  /** Address written in SDP answers; default: `mediaAddress`, or the address the INVITE reached when that is a wildcard. */
  advertiseAddress?: string;
  /** Reorder window, ms. @default 60 */
  reorderMs?: number;
  /** Latch RTP on the first source instead of the SDP's address. @default false */
  latch?: boolean;
  /** Role rule for participants. */
  roles: RoleRule;
  /** SRC source allowlist (CIDR blocks); empty = allow all. */
  allowFrom: readonly string[];
  /**
   * Per-call packet captures: each accepted recording session opens one (with the SDP answer's
   * address for wildcard-bound sockets), its streams' receivers tap every datagram into it, and it
   * closes when the session ends. Absent = no captures.
   */
  captures?: CallCaptureOpener;
  /** Asked on every INVITE and OPTIONS. @default always accept */
  admission?: () => Admission;
  clock?: Clock;
  logger?: Logger;
}
