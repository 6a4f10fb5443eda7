/**
 * What the status page and `GET /api/status` show (DESIGN.md §6): a snapshot `app/` assembles
 * from the SRS, the spool, the sinks and the MQTT publisher. This file holds types only.
 */
import type { Clock, Logger } from "../lib/index.ts";
import type { ForwardStatus, SinkUnitStatus } from "../sinks/index.ts";
import type { CallExporter } from "./call-api-types.ts";
import type { HttpCommandExecutor } from "./command-api-types.ts";
import type { MetricsSample } from "./metrics-types.ts";

/** One stream of a call as shown on the page: its m-line, sender and live RTP figures. */
export interface StreamStatus {
  /** Spool stream id. */
  streamId: number;
  /** `a=label` (RFC 4574) or the m-line index as text. */
  label: string;
  /** Codec recorded, e.g. `PCMU`. */
  codec: string;
  /** Sending participant, or empty. */
  participantId: string;
  /** Role of the sender: `agent`, `customer`, `unknown`. */
  role: string;
  /** Valid RTP packets received. */
  packetsReceived: number;
  /** RTP packets lost (RFC 3550 §6.4.1). */
  packetsLost: number;
  /** Datagrams dropped on the stream's port: not RTP, unknown payload type, or from the wrong source. */
  packetsInvalid: number;
  /** Interarrival jitter, ms (RFC 3550 §6.4.1). */
  jitterMs: number;
  /** Peak absolute linear sample level of recent audio, 0–32767. */
  level: number;
  /** Frames stored in the spool. */
  framesSpooled: number;
}

/** One call (recording session) as shown on the page. */
export interface CallStatus {
  /** Our call id (UUIDv7). */
  callId: string;
  /** SIP Call-ID of the SIPREC dialog. */
  sipCallId: string;
  /** `live`, `completed` or `recovered`. */
  state: "live" | "completed" | "recovered";
  /** Why it ended (`bye`, `shutdown`, …), empty while live. */
  reason: string;
  /** ISO-8601 UTC start. */
  startedAt: string;
  /** ISO-8601 UTC end, or null while live. */
  endedAt: string | null;
  /** SRC address `host:port`. */
  source: string;
  /** Correlation ids (`ucid`, `siprecSessionId`, …). Untrusted: they come from the network. */
  correlation: Record<string, string>;
  /** Participants with their roles. */
  participants: { participantId: string; aor: string; name: string; role: string }[];
  /** Streams in m-line order. */
  streams: StreamStatus[];
  /** Delivery state of each sink unit of the call. */
  sinks: SinkUnitStatus[];
  /** SIPREC forwards of the call (we as SRC towards remote SRSs): state, target, packets, owed audio. */
  forwards: ForwardStatus[];
}

/**
 * State of one sink in the health banner: `connected` (every unit live), `connecting`,
 * `replaying` (sending a backlog), `backing-off` (waiting to reconnect, circuit open, or a SIPREC
 * forward waiting for its SRS), `failed` (a unit stopped until reconfigured), `idle` (nothing to send).
 */
export type SinkHealthState = "connected" | "connecting" | "replaying" | "backing-off" | "failed" | "idle";

/** One configured sink as the health banner shows it: the worst state of its units or forwards. */
export interface SinkHealth {
  /** Sink name from the config. */
  name: string;
  /** `websocket` (EASP) or `siprec` (forwarding as SRC). */
  type: "websocket" | "siprec";
  /** See {@link SinkHealthState}. */
  state: SinkHealthState;
  /** Units (websocket) or forwards (siprec) currently delivering. */
  active: number;
  /** Audio not yet acknowledged (websocket) or not yet sent (siprec, 20 ms per owed frame), seconds. */
  backlogS: number;
  /** Last error of its units/forwards, or empty. */
  lastError: string;
}

/** One of the last events (as published on MQTT and logged), for the page. */
export interface RecentEvent {
  /** ISO-8601 UTC with ms. */
  time: string;
  /** Event name, e.g. `SESSIONSTARTED`. */
  event: string;
  /** Our call id, or empty for appliance-level events. */
  sessionId: string;
  /** One line saying what happened (untrusted: it quotes network-supplied text). */
  summary: string;
}

/** The live audio level of one stream, for the page's meters. */
export interface StreamLevel {
  /** Spool stream id. */
  streamId: number;
  /** Peak absolute linear sample level of the last ~200 ms, 0–32767. */
  level: number;
}

/** Everything the page shows, as returned by `GET /api/status`. */
export interface StatusSnapshot {
  /** Config `appliance_id`. */
  applianceId: string;
  /** Software version. */
  version: string;
  /** ISO-8601 UTC process start. */
  startedAt: string;
  /** Seconds since start. */
  uptimeS: number;
  /** Health of the parts a field technician checks first. */
  health: {
    /** SIP listeners, e.g. `udp:0.0.0.0:5060`; empty when none is up. */
    sip: { listening: string[] };
    /** Whether MQTT is configured and connected. */
    mqtt: { configured: boolean; connected: boolean };
    /** The spool: file, use against its cap and the disk, and how old the oldest undelivered audio is. */
    spool: {
      /** Spool file. */
      path: string;
      /** Bytes in use. */
      bytes: number;
      /** Frames waiting for the group commit. */
      framesPending: number;
      /** The cap (`spool.max_bytes`), bytes. */
      maxBytes: number;
      /** Free space of the spool's filesystem, bytes. */
      freeDiskBytes: number;
      /** Above the high-water mark: new INVITEs get 503. */
      highWater: boolean;
      /** Age of the oldest audio a sink still owes, seconds (0 when everything is delivered). */
      oldestUndeliveredAgeS: number;
    };
    /** Each configured sink's state (and any unconfigured one still delivering). */
    sinks: SinkHealth[];
    /** Drain state: `off` (taking calls), `draining` (refusing new ones), `drained`. */
    drain: "off" | "draining" | "drained";
    /** Whether new INVITEs are accepted (false: they and OPTIONS get 503). */
    accepting: boolean;
  };
  /** Live calls and recently ended ones (most recent first). */
  calls: { live: CallStatus[]; recent: CallStatus[] };
  /** The last 50 events, newest first. */
  events: RecentEvent[];
  /** Named counters (`sip_parse_errors_total`, …). */
  counters: Record<string, number>;
}

/** Credentials the status server accepts; with neither set, it is open. */
export interface StatusAuth {
  /** Accepted as `Authorization: Bearer <token>`, and as the password of Basic auth (any user name), for browsers. */
  token?: string;
  /** Accepted as `Authorization: Basic base64(username:password)`. */
  basic?: { username: string; password: string };
}

/** Options of `startStatusServer`. */
export interface StatusServerOptions {
  /** `host:port` to listen on, e.g. `127.0.0.1:8080` or `[::1]:8080`; port 0 picks a free port. */
  listen: string;
  /** Returns the current snapshot; called per request and per SSE push. */
  snapshot: () => StatusSnapshot;
  /** Credentials required for everything but `/healthz`; absent = no authentication. */
  auth?: StatusAuth;
  /** The calls in the spool for `/api/calls…` and the page's download links; absent = those answer 404. */
  calls?: CallExporter;
  /** The command executor (the same one MQTT uses) for `/api/commands…`; absent = those answer 404. */
  commands?: HttpCommandExecutor;
  /** Returns the figures for `/metrics`, called per scrape; absent = `/metrics` answers 404. */
  metrics?: () => MetricsSample;
  /**
   * Per-call packet captures for `GET /api/calls/<callId>/capture.pcap`: the path of a call's capture
   * file (live or finished), undefined for an unknown call; absent (capture off) = that route answers 404.
   */
  captures?: { path(callId: string): string | undefined };
  /** The recent SIP messages as text for `GET /api/sip/messages`; absent = 404. */
  sipMessages?: () => string;
  /** How often `/api/events` pushes the snapshot, ms. @default 1000 */
  pushIntervalMs?: number;
  /**
   * Returns the live streams' audio levels, pushed as the light `levels` event of `/api/events`
   * every `levelIntervalMs` so the page's meters move; absent = no `levels` event.
   */
  levels?: () => StreamLevel[];
  /** How often `/api/events` pushes `levels`, ms. @default 250 */
  levelIntervalMs?: number;
  /** Timers for SSE pushes and wall time for "updated"/durations. @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
}

/** A running status server. */
export interface StatusServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Bound TCP port. */
  readonly port: number;
  /** Stops listening, ends SSE streams and closes open connections. Idempotent. */
  close(): Promise<void>;
}
