/**
 * Types of the routing decision for a new call: what rules look at, what they decide, and the
 * new-call webhook's request and options. Types only (`import type`), so tests and other parts of
 * `app` can depend on this file freely.
 */

import type { Logger } from "../../lib/index.ts";
import type { AudioCodec, ParticipantRole } from "../../spool/index.ts";

/**
 * What a routing rule can look at: the INVITE that opened the recording session (RFC 7866 §6.1) and
 * its rs-metadata (RFC 7865). Built once per new call by the caller.
 */
export interface RoutingInput {
  /** SRC (SBC) IP address the INVITE came from, IPv4 or IPv6, without port or brackets (e.g. `192.0.2.10`, `2001:db8::7`). */
  sourceAddress: string;
  /** Request-URI of the INVITE as received, e.g. `sip:srs@192.0.2.1:5060`. */
  requestUri: string;
  /** First value of header `name` of the INVITE, matched case-insensitively; `undefined` when absent. */
  header(name: string): string | undefined;
  /** Participants from the metadata (RFC 7865 §6.5): address of record, display name, role. */
  participants: { aor: string; name: string; role: string }[];
  /** `a=label` (RFC 4574) of every offered audio stream. */
  labels: string[];
  /** Correlation ids by key: `ucid`, `ciscoGuid`, `sipCallId`, `siprecSessionId`, … */
  correlation: Record<string, string>;
  /** Raw rs-metadata XML as received (`""` when none); lets rules match RFC 7865 extension elements. */
  metadataXml: string;
}

/**
 * A sink chosen for the call, with optional per-call overrides of the configured sink (same shape as
 * the sinks module's per-call choice). Absent fields keep the configured values.
 */
export interface SinkChoice {
  /** Sink name from the config (`sinks[].name`), or a new name when `url` is given. */
  sink: string;
  /** WebSocket URL (`ws://` or `wss://`) overriding the configured one. */
  url?: string;
  /** Upstream protocol profile; only `easp` in this release. */
  protocol?: "easp";
  /** One socket per call (stereo) or one per participant stream. */
  mode?: "interleaved" | "per-participant";
  /** Audio format sent upstream: G.711 passthrough or 16-bit linear PCM, all at 8000 Hz. */
  format?: "PCMU/8000" | "PCMA/8000" | "L16/8000";
  /** Extra HTTP headers of the WebSocket upgrade (e.g. a per-call token). */
  headers?: Record<string, string>;
}

/** A SIPREC forward the new-call webhook asked for (the seeds' startSIPRecForward object). */
export interface ForwardSpec {
  /** A configured `siprec` sink, or the name of this forward when `uri` is given. */
  sink: string;
  /** `sip:`/`sips:` URI of the remote SRS, overriding the sink's. */
  uri?: string;
  codec?: "PCMU/8000" | "PCMA/8000";
  srtp?: "AES_CM_128_HMAC_SHA1_80" | "AES_CM_128_HMAC_SHA1_32";
  caller?: { name?: string; user?: string; label?: string };
  calledParty?: { name?: string; user?: string; label?: string };
  xHeaders?: Record<string, string>;
  /** Opaque, echoed in the SIPRECFORWARD events. */
  reference?: Record<string, unknown>;
}

/** Where a new call's audio goes, and who decided it. */
export interface RoutingDecision {
  /**
   * Sinks that get the call, in order, by name (WebSocket or SIPREC sinks alike; a rule names
   * either); `[]` = record to the spool only.
   */
  sinks: SinkChoice[];
  /** SIPREC forwards with per-call details (new-call webhook `startSIPRecForward`). */
  forwards?: ForwardSpec[];
  /** A routing rule matched, no rule matched (`default_sinks`), or the new-call webhook answered. */
  by: "rule" | "default" | "webhook";
  /** The matching rule's `name`, or `#<index>` (zero-based) when it has none. Only when `by` is `rule`. */
  rule?: string;
  /** Webhook objects that could not be honoured, one short description each (e.g. a `startSIPRecForward`). */
  ignored?: string[];
}

/** The compiled `routing` section of the config. */
export interface Router {
  /**
   * Picks the sinks of a new call by the rules alone: the first rule whose every `match` key matches
   * decides, else `default_sinks`. Synchronous and free of I/O (it runs on the INVITE path).
   */
  decide(input: RoutingInput): RoutingDecision;
}

/**
 * The JSON body POSTed to `routing.new_call_webhook.url` when a recording session starts: everything
 * the customer application needs to decide where the call's audio goes.
 */
export interface NewCallNotice {
  /** Our session id (UUIDv7), the id commands and events use. */
  sessionId: string;
  /** `appliance_id` of this appliance. */
  applianceId: string;
  /** SIP Call-ID of the SIPREC dialog. */
  sipCallId: string;
  /** SRC (SBC) address and port the INVITE came from, `host:port` (`[v6]:port` for IPv6). */
  source: string;
  /** Request-URI of the INVITE. */
  requestUri: string;
  /** When the INVITE was accepted, ISO 8601 UTC (e.g. `2025-01-31T09:00:00.000Z`). */
  startedAt: string;
  /** Correlation ids by key: `ucid`, `ciscoGuid`, `sipCallId`, `siprecSessionId`, … */
  correlation: Record<string, string>;
  /** Participants from the metadata (RFC 7865 §6.5). */
  participants: { participantId: string; aor: string; name: string; role: ParticipantRole }[];
  /** Offered audio streams: our stream id, `a=label`, codec, and the role of the sending participant. */
  streams: { streamId: number; label: string; codec: AudioCodec; role: ParticipantRole }[];
}

/** Options of {@link askNewCallWebhook}, taken from `routing.new_call_webhook` and `sinks`. */
export interface NewCallWebhookOptions {
  /** `http://` or `https://` URL the notice is POSTed to. */
  url: string;
  /** How long to wait for the whole reply, ms; after that the rules apply. */
  timeoutMs: number;
  /** Extra request headers (e.g. `authorization`); never logged. */
  headers: Record<string, string>;
  /** Names of the configured sinks (`sinks[].name`); a reply naming another sink must give a `url`. */
  configuredSinks: readonly string[];
  /** Where failures are logged (with a `code` field). @default silentLogger */
  logger?: Logger;
}
