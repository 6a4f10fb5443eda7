/**
 * Shapes of SIPREC forwarding (DESIGN.md §5 "SIPREC forward", issue #5 items 4–5): the appliance acts as
 * the SRC of its own recording sessions (RFC 7866 §6) towards remote SRSs, live and, for audio a remote
 * SRS missed, as replay sessions afterwards. Types only.
 * @module
 */
import type { Clock, Logger, TypedEmitter } from "../../lib/index.ts";
import type { PortPool } from "../../media/index.ts";
import type { DnsLookup, SipStack } from "../../sip/index.ts";
import type { PartyOverride } from "../../siprec/index.ts";
import type { Spool } from "../../spool/index.ts";
import type { SrtpProfile } from "../../srtp/index.ts";
import type { SinkFeed } from "../sink-types.ts";

/** Codecs a forward session sends (RFC 3551 static payload types 0 and 8); the recording is transcoded when it differs. */
export type ForwardCodec = "PCMU" | "PCMA";

/** How spooled audio a remote SRS missed is sent afterwards (config `sinks[].replay`). */
export interface SiprecReplayConfig {
  /** Pace of replay sessions, × real time: 1 = real time, 2 = twice as fast, 0 = as fast as the sockets go. */
  maxRate: number;
  /** Replay sessions of this sink that may run at once (across calls); the others wait their turn. At least 1. */
  maxConcurrent: number;
}

/** One configured SIPREC forwarding sink (config `sinks[]` with `type: siprec`). */
export interface SiprecSinkConfig {
  /** Unique sink name (cursor key, events, commands). */
  name: string;
  /**
   * Where the remote SRS is: a `sip:` or `sips:` URI, resolved per RFC 3263 (NAPTR → SRV → A/AAAA) into
   * an ordered list of targets tried in turn (e.g. `sip:srs.example.com`, `sips:rec.example.com`,
   * `sip:10.0.0.5:5070;transport=tcp`).
   */
  uri: string;
  /** Codec offered and sent; a stream recorded in the other G.711 law is transcoded. */
  codec: ForwardCodec;
  /**
   * SRTP crypto suite (SDES, RFC 4568) of the offer's `RTP/SAVP` m-lines. Only with `sips:` or
   * `;transport=tls` (RFC 4568 §8.3); absent = plain RTP.
   */
  srtp?: SrtpProfile;
  /** Extra headers of every INVITE, names `X-…` (e.g. `{ "X-Tenant": "acme" }`). */
  xHeaders: Record<string, string>;
  /** Overrides of the caller (`customer` participant) in our metadata and labels. */
  caller?: PartyOverride;
  /** Overrides of the called party (`agent` participant). */
  calledParty?: PartyOverride;
  /** OPTIONS ping interval per target, ms (RFC 3261 §11); a target answering 503/408/nothing is taken down. 0 = no pings. */
  optionsPingMs: number;
  /** Session-Expires asked for (RFC 4028; the stack raises it to Min-SE 90), s. 0 = no session timer. */
  sessionExpiresS: number;
  /** Replay pace and concurrency. */
  replay: SiprecReplayConfig;
}

/**
 * A SIPREC sink chosen for one call (routing rule, new-call webhook, command `startSIPRecForward`): a
 * configured sink by name with optional per-call overrides, or, with `uri`, a sink defined for this call
 * only (defaults: PCMU, no SRTP, no X-headers, no pings, Session-Expires 1800 s, replay `{1, 2}`). A
 * configured sink whose `uri` is overridden sends only the given `xHeaders` (the configured ones may be
 * meant for that SRS only); otherwise the given ones are added to the configured ones.
 */
export interface ForwardChoice {
  /** Sink name. */
  sink: string;
  /** Remote SRS URI (`sip:`/`sips:`). */
  uri?: string;
  /** Codec to send. */
  codec?: ForwardCodec;
  /** SRTP crypto suite (needs `sips:` or `;transport=tls`). */
  srtp?: SrtpProfile;
  /** Caller overrides (name, AOR user, label). */
  caller?: PartyOverride;
  /** Called-party overrides. */
  calledParty?: PartyOverride;
  /** Extra INVITE headers, names `X-…`. */
  xHeaders?: Record<string, string>;
  /** Opaque object of the requester (e.g. its own ids), echoed in every event of this forward; kept in the spool as JSON. */
  reference?: Record<string, unknown>;
}

/** What a replay session carries: the original call's start and the span of audio, ISO 8601 UTC with ms. */
export interface ReplayInfo {
  /** Start of the recorded call (the `X-Siprec-Edge-Replay` header's value). */
  originalStart: string;
  /** Capture time of the first replayed sample. */
  spanStart: string;
  /** Capture time just after the last replayed sample. */
  spanEnd: string;
}

/** Facts of one forward session, in every event. */
export interface ForwardInfo {
  /** Sink name. */
  sink: string;
  /** Our call id (the recorded call). */
  callId: string;
  /** The sink's URI as configured or chosen. */
  uri: string;
  /** The target the INVITE went to, `transport:address:port` (e.g. `tls:192.0.2.7:5061`); `""` when none was tried. */
  target: string;
  /** SIP Call-ID of our recording session (RS) towards the remote SRS. */
  sipCallId: string;
  /** Set for a replay session (store-and-forward). */
  replay?: ReplayInfo;
  /** The choice's opaque reference, as given. */
  reference?: Record<string, unknown>;
}

/**
 * Why a forward session ended: `call-ended` (the recorded call ended and every frame was sent),
 * `replay-done` (a replay session sent its whole span), `stopped` (`stop()`), `remote-bye` (the SRS sent
 * BYE: nothing more is sent to it for this call), `failed` (the session broke mid-way: refresh timeout,
 * 481, unusable answer; what was not sent is owed and replayed later), `shutdown` (`close()`; the
 * rest is owed).
 */
export type ForwardStopReason =
  | "call-ended"
  | "replay-done"
  | "stopped"
  | "remote-bye"
  | "failed"
  | "shutdown";

/** Events of a {@link SiprecForwarder} (SIPRECFORWARDSTARTED / FAILED / STOPPED, DESIGN.md §6). */
export type ForwardEvents = {
  /** The remote SRS accepted a session (2xx) and audio is being sent. */
  started: [ForwardInfo];
  /**
   * No session could be set up: every target refused or was unreachable (`status`, `reason`: the last
   * final response, local 408/503 included; 503 too when DNS failed or no target was up). The audio
   * stays owed and is replayed when a target is up again.
   */
  failed: [ForwardInfo & { status: number; reason: string }];
  /** A session ended. */
  stopped: [ForwardInfo & { reason: ForwardStopReason }];
};

/** State of one (call, sink) forward, for status and commands. */
export type ForwardState =
  /** A session is being set up (DNS, INVITE). */
  | "starting"
  /** The live session runs. */
  | "live"
  /** A replay session runs (no live session: the call ended). */
  | "replaying"
  /** Audio is owed and waits for a target to come back (or for a replay slot). */
  | "owed"
  /** Nothing more is owed: delivered, stopped, or ended by the SRS. */
  | "done";

/** Status of one (call, sink) forward. */
export interface ForwardStatus {
  /** Sink name. */
  sink: string;
  /** Call id. */
  callId: string;
  /** Sink URI. */
  uri: string;
  /** See {@link ForwardState}. */
  state: ForwardState;
  /** Target of the current (or last) session, `""` if none. */
  target: string;
  /** SIP Call-ID of the current (or last) session, `""` if none. */
  sipCallId: string;
  /** RTP packets sent to the sink for this call by running sessions. */
  packetsSent: number;
  /** Frames owed (not yet handed to any session of this sink). */
  owedFrames: number;
  /** Last failure, e.g. `503 Service Unavailable`, or `""`. */
  lastError: string;
  /** The span of the running replay session, if one runs. */
  replay?: ReplayInfo;
  /** The choice's reference. */
  reference?: Record<string, unknown>;
}

/** Options of `createSiprecForwarder`. */
export interface SiprecForwarderOptions {
  /** Configured SIPREC sinks. */
  sinks: SiprecSinkConfig[];
  /** The started SIP stack the INVITEs, OPTIONS and BYEs go out through (shared with the SRS). */
  sip: SipStack;
  /** The spool: audio is read back from it; progress is stored in its cursor table. */
  spool: Spool;
  /** RTP port pool (`media.port_range`): one port per forwarded stream. */
  ports: PortPool;
  /** Address the RTP senders bind to (`media.address`). */
  mediaAddress: string;
  /**
   * Address written in our SDP's `c=` and `o=` (`media.advertise`). @default `mediaAddress`, or for a
   * wildcard one the local address of the route towards each target
   */
  advertiseAddress?: string;
  /** DNS for RFC 3263 resolution. @default the system resolver */
  resolver?: DnsLookup;
  /** Appliance id, the SDP `o=` user name of our offers (an RFC 8866 token). */
  applianceId: string;
  /** Software version, in the SDP `s=` line. */
  version: string;
  /** Pacing, refresh and backoff timers, capture-time conversions. @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /**
   * How long a failed target is skipped when no Retry-After says (RFC 3263 §4.3 failover; doubling per
   * consecutive outage), ms. @default { initialMs: 5000, maxMs: 300000 }
   */
  backoff?: { initialMs: number; maxMs: number };
  /** How often the progress of running sessions is stored (the most a crash can make a replay repeat), ms. @default 1000 */
  checkpointMs?: number;
}

/**
 * SIPREC forwarding (DESIGN.md §5): receives the recording feed ({@link SinkFeed}) and, for each call
 * routed to SIPREC sinks, runs our own recording sessions towards the remote SRSs, live and then as
 * replay sessions for whatever a remote SRS missed, until every frame was handed to it exactly once.
 */
export interface SiprecForwarder extends SinkFeed, TypedEmitter<ForwardEvents> {
  /**
   * The routing decision of a call for SIPREC sinks (rules, new-call webhook): each chosen sink
   * forwards the call from its first frame. Stored in the spool first, so `recover()` and
   * `isDelivered()` follow it after a restart. Also for a call that already ended: its audio then
   * goes as a replay session.
   * @throws SiprecForwardError `SIPREC_FORWARD_UNKNOWN_CALL`, `SIPREC_FORWARD_UNKNOWN_SINK`,
   *   `SIPREC_FORWARD_CONFIG`, `SIPREC_FORWARD_SRTP_NEEDS_TLS`, `SIPREC_FORWARD_ALREADY_STARTED`
   *   (nothing is changed then).
   * @throws SpoolError `SPOOL_WRITE` when the decision cannot be stored.
   */
  route(callId: string, choices: ForwardChoice[]): void;
  /**
   * Starts forwarding a live call to one sink (command `startSIPRecForward`), from the call's first frame;
   * a sink stopped (or ended by its SRS) on this call starts again at the live edge, what it missed in
   * between is not sent.
   * @throws SiprecForwardError as `route`, and `SIPREC_FORWARD_NOT_LIVE`.
   * @throws SpoolError `SPOOL_WRITE`.
   */
  start(callId: string, choice: ForwardChoice): void;
  /**
   * Stops forwarding a call to one sink (command `stopSIPRecForward`): BYE now (`stopped{stopped}`),
   * nothing more is owed to the sink for this call.
   * @throws SiprecForwardError `SIPREC_FORWARD_NOT_STARTED`.
   * @throws SpoolError `SPOOL_WRITE`.
   */
  stop(callId: string, sink: string): void;
  /**
   * The recorded call was paused or resumed (SRC pause, operator pause): live sessions re-INVITE with
   * `a=inactive` / `a=sendonly` (RFC 7866 §12.1, same labels). The paused span's frames are gaps: no
   * RTP is sent for them, and nothing recorded before the pause is dropped.
   */
  recordingPaused(callId: string, paused: boolean): void;
  /** Forwards of a call (live or from the spool), in the order chosen; empty when it has none. */
  forwards(callId: string): ForwardStatus[];
  /**
   * Whether nothing is owed to any SIPREC sink the call was routed to (the spool purge asks): false for
   * a live call; true when it was never routed to one. A stored sink that is no longer configured and
   * has no `uri` counts as delivered (it can never be sent; a warning is logged by `recover()`).
   */
  isDelivered(callId: string): boolean;
  /**
   * After a restart: every (call, sink) that still owes audio gets replay sessions, oldest call first,
   * as targets allow. Call once, after the spool closed the calls a crash left live.
   */
  recover(): void;
  /**
   * Config reload: forwards chosen from now on use these sinks; running sessions keep theirs. OPTIONS
   * pinging follows the new intervals.
   * @throws SiprecForwardError `SIPREC_FORWARD_CONFIG`, `SIPREC_FORWARD_SRTP_NEEDS_TLS` (nothing changes then).
   */
  reconfigure(sinks: SiprecSinkConfig[]): void;
  /** Ends every session with BYE (`stopped{shutdown}`; the unsent rest stays owed), stops pings and timers. */
  close(): Promise<void>;
}
