/**
 * The command model (DESIGN.md §5, §8): parameters, parsed commands, replies and the handler
 * signature shared by the MQTT channel (`cmd/<name>`) and HTTP (`POST /api/commands/<name>`).
 * This file holds types only.
 */
import type { CommandName } from "./commands.ts";
import type { CommandErrorCode } from "./errors.ts";

/**
 * Which call a command is about: **exactly one** of the two ids is set (the parser refuses neither
 * or both, on field `sessionId`).
 */
export interface CallAddress {
  /** Our call id: the UUIDv7 `sessionId` of SESSIONSTARTED. */
  sessionId?: string;
  /** Any correlation id of the call: UCID, Cisco GUID, SIP Call-ID or SIPREC session id (RFC 7865 §6.2). */
  correlationId?: string;
}

/** How a sink sends a call: one mixed channel set (`interleaved`) or one session per participant. */
export type StreamMode = "interleaved" | "per-participant";

/** Audio format sent to a sink: G.711 µ-law, A-law (RFC 3551 §4.5.14) or 16-bit linear PCM, 8000 Hz. */
export type StreamFormat = "PCMU/8000" | "PCMA/8000" | "L16/8000";

/** Upstream protocol of a stream sink; only EASP/1 today. */
export type StreamProtocol = "easp";

/** Parameters of `startStream`: route the call's audio to a configured sink, with per-call overrides. */
export interface StartStreamParams extends CallAddress {
  /** Sink name from the config (`^[A-Za-z0-9_.-]+$`). */
  sink: string;
  /** Overrides the sink's URL for this call: `ws://` or `wss://`. */
  url?: string;
  /** Overrides the sink's protocol. */
  protocol?: StreamProtocol;
  /** Overrides the sink's mode. */
  mode?: StreamMode;
  /** Overrides the sink's audio format. */
  format?: StreamFormat;
  /** Extra HTTP headers of the WebSocket upgrade for this call, name → value. */
  headers?: Record<string, string>;
}

/** Parameters of `stopStream`: stop sending the call to a sink (audio already captured stays in the spool). */
export interface StopStreamParams extends CallAddress {
  /** Sink name from the config. */
  sink: string;
}

/** Caller / called-party presentation in a forwarded recording's metadata (the seeds' startSIPRecForward). */
export interface PartyOverride {
  /** Display name. */
  name?: string;
  /** User part of the AOR (`sip:USER@host`). */
  user?: string;
  /** `a=label` of the party's stream (and `<label>` in the metadata). */
  label?: string;
}

/**
 * Parameters of `startSIPRecForward`: forward the call as SRC to a remote SRS (DESIGN.md §5): a
 * configured `siprec` sink by name, or an ad-hoc `uri` (the sink name then names this forward).
 */
export interface StartSiprecForwardParams extends CallAddress {
  /** A configured siprec sink, or the name of this ad-hoc forward when `uri` is given. */
  sink: string;
  /** `sip:` or `sips:` URI of the remote SRS; overrides the sink's. */
  uri?: string;
  /** Codec sent to the SRS (transcoded when the call's differs). */
  codec?: "PCMU/8000" | "PCMA/8000";
  /** SDES-SRTP suite; only over TLS (`sips:` or `;transport=tls`). */
  srtp?: "AES_CM_128_HMAC_SHA1_80" | "AES_CM_128_HMAC_SHA1_32";
  /** Caller (customer) presentation. */
  caller?: PartyOverride;
  /** Called party (agent) presentation. */
  calledParty?: PartyOverride;
  /** Extra `X-` headers of the INVITE. */
  xHeaders?: Record<string, string>;
  /** Opaque object echoed in SIPRECFORWARD* events. */
  reference?: Record<string, unknown>;
}

/** Parameters of `stopSIPRecForward`: BYE the forward session now. */
export interface StopSiprecForwardParams extends CallAddress {
  /** The forward's sink name. */
  sink: string;
}

/** Parameters of `pauseRecording` / `resumeRecording` (PCI pause: the paused span is neither stored nor sent). */
export interface RecordingPauseParams extends CallAddress {
  /** Why, for the RECORDINGPAUSED/RESUMED event's `note` (≤ 200 characters), e.g. `PCI`. */
  reason?: string;
}

/** Parameters of `getStatus`: none. */
export type GetStatusParams = Record<never, never>;

/** Which calls `listCalls` returns. */
export type CallListState = "live" | "completed" | "recovered" | "all";

/** Parameters of `listCalls`, defaults applied. */
export interface ListCallsParams {
  /** Calls in this state. @default "live" */
  state: CallListState;
  /** At most this many calls, 1..1000. @default 100 */
  limit: number;
}

/** Parameters of `reloadConfig`: none (the config file is read again and validated). */
export type ReloadConfigParams = Record<never, never>;

/** Parameters of `drain`, defaults applied. */
export interface DrainParams {
  /** Stop draining and accept new calls again. @default false */
  cancel: boolean;
}

/** `testCall.durationS` bounds, seconds. */
export interface TestCallParams {
  /**
   * How long the test call records, seconds (1..60): the built-in two-speaker speech, repeated
   * when longer than its 12 s. @default 10
   */
  durationS: number;
}

/** The parameters of each command, by name. */
export interface CommandParams {
  startStream: StartStreamParams;
  stopStream: StopStreamParams;
  startSIPRecForward: StartSiprecForwardParams;
  stopSIPRecForward: StopSiprecForwardParams;
  pauseRecording: RecordingPauseParams;
  resumeRecording: RecordingPauseParams;
  getStatus: GetStatusParams;
  listCalls: ListCallsParams;
  reloadConfig: ReloadConfigParams;
  drain: DrainParams;
  testCall: TestCallParams;
}

/** The envelope field every command accepts, as sent. */
export interface CommandEnvelope {
  /** ISO-8601 date-time with a time zone: the command must not run after it. */
  expiresAt?: string;
}

/**
 * A validated command: its name, typed parameters (defaults applied) and, when the request carried
 * the envelope field `expiresAt`, that deadline in ms since the Unix epoch.
 */
export type ParsedCommand = {
  [N in CommandName]: { name: N; params: CommandParams[N]; expiresAtMs?: number };
}[CommandName];

/** The error part of a failed {@link CommandReply}. */
export interface CommandReplyError {
  /** Stable code (see {@link CommandErrorCode}). */
  code: CommandErrorCode;
  /** One human sentence: what is wrong and how to fix it. */
  message: string;
  /** With `INVALID_ARGUMENT`: dotted path of the offending parameter, or `(body)`. */
  field?: string;
  /** With `UNKNOWN_COMMAND`: the known command names. */
  known?: string[];
}

/** A command's reply (DESIGN.md §8), the same JSON on MQTT and HTTP. */
export type CommandReply =
  | { ok: true; result: Record<string, unknown> }
  | { ok: false; error: CommandReplyError };

/** How a command reached the appliance. */
export interface CommandMeta {
  /** The transport: MQTT `cmd/<name>`, HTTP `POST /api/commands/<name>`, or a signal (SIGHUP → `reloadConfig`). */
  via: "mqtt" | "http" | "signal";
  /**
   * Transport deadline, ms since the Unix epoch: with MQTT, reception time + the Message Expiry
   * Interval the broker handed over (MQTT 5 §3.3.2.3.3). The handler must not run the command after
   * it (see `deadlineOf` / `checkDeadline`).
   */
  deadlineMs?: number;
}

/**
 * Runs one command, as named and sent (not yet validated: the handler calls `parseCommand`), and
 * resolves with its reply; implemented by the app's command executor. A rejection is turned into
 * an `INTERNAL` reply by the transports.
 */
export type CommandHandler = (name: string, params: unknown, meta: CommandMeta) => Promise<CommandReply>;
