/**
 * The spool as the HTTP API shows it (`GET /api/calls…`, DESIGN.md §6): what `app/` hands the
 * status server as a {@link CallExporter}, and the JSON shapes `siprec-edge spool ls|export` read.
 * This file holds types only.
 */
import type { AudioCodec, CallState, ParticipantRole } from "../spool/index.ts";

/** Query of `GET /api/calls`. */
export interface CallListFilter {
  /** Only calls in this state; all when absent. */
  state?: CallState;
  /** At most this many calls, most recent first. */
  limit: number;
}

/** Delivery state of one sink unit of a call (one EASP session). */
export interface SinkDelivery {
  /** Sink name from the config. */
  sink: string;
  /** `call` (interleaved) or a stream id (per-participant); `<unit>#<segment>` for a later segment. */
  unit: string;
  /** EASP session id. */
  sessionId: string;
  /** `connecting`, `open`, `replaying`, `backoff`, `circuit-open`, `closing`, `done`, `failed`. */
  state: string;
  /** Highest EASP seq sent. */
  sentSeq: number;
  /** Highest EASP seq acknowledged. */
  ackedSeq: number;
  /** Reconnect attempts so far. */
  reconnects: number;
  /** Last error text, or empty. */
  lastError: string;
  /** Audio not yet acknowledged by the receiver, seconds (ms precision). */
  backlogSeconds: number;
}

/** One call of `GET /api/calls`: identity, state and what the spool holds for it. */
export interface CallSummary {
  /** Our call id (UUIDv7). */
  callId: string;
  /** SIP Call-ID of the SIPREC dialog. */
  sipCallId: string;
  /** `live`, `completed` or `recovered`. */
  state: CallState;
  /** Why it ended (`bye`, `recovered`, …), empty while live. */
  reason: string;
  /** SRC address `host:port`. */
  source: string;
  /** ISO-8601 UTC start. */
  startedAt: string;
  /** ISO-8601 UTC end, or null while live. */
  endedAt: string | null;
  /** Call duration (so far, while live), ms. */
  durationMs: number;
  /** Streams (m-lines) recorded. */
  streamCount: number;
  /** Frames stored over all streams, AUDIO and GAP. */
  frames: number;
  /** Audio payload bytes stored over all streams. */
  bytes: number;
  /** Delivery state of each sink unit of the call (empty when no sink is configured). */
  sinks: SinkDelivery[];
  /** Largest backlog of any of its sink units, seconds (0 when everything is acknowledged). */
  backlogSeconds: number;
}

/** One stream of a call, with what the spool holds for it. */
export interface StreamSummary {
  /** Spool stream id (the `:streamId` of the WAV URL). */
  streamId: number;
  /** `a=label` (RFC 4574) or the m-line index as text. */
  label: string;
  /** Zero-based m-line index in the offer. */
  mlineIndex: number;
  /** Codec recorded. */
  codec: AudioCodec;
  /** Sample rate, Hz. */
  rate: number;
  /** Negotiated RTP payload type. */
  payloadType: number;
  /** Sending participant, or empty. */
  participantId: string;
  /** Role of the sender. */
  role: ParticipantRole;
  /** ISO-8601 UTC start. */
  startedAt: string;
  /** ISO-8601 UTC end, or null while live. */
  endedAt: string | null;
  /** Frames stored, AUDIO and GAP. */
  frames: number;
  /** AUDIO frames. */
  audioFrames: number;
  /** GAP frames (loss, pause, no media, discarded). */
  gapFrames: number;
  /** Audio payload bytes stored. */
  bytes: number;
  /** Timeline the stored frames cover, from the first to the end of the last, ms. */
  durationMs: number;
  /** UDP port of this stream's flow in the call's pcap (decode it with `-d udp.port==<port>,rtp`). */
  pcapPort: number;
}

/** `GET /api/calls/:callId`: the call with its participants and streams. */
export interface CallDetail extends CallSummary {
  /** RFC 7865 `session_id`, or empty. */
  siprecSessionId: string;
  /** Correlation ids (`ucid`, `ciscoGuid`, …). Untrusted: they come from the network. */
  correlation: Record<string, string>;
  /** Participants with their roles (RFC 7865 §6.5). */
  participants: { participantId: string; aor: string; name: string; role: ParticipantRole }[];
  /** Streams in m-line order. */
  streams: StreamSummary[];
}

/** Read access to the calls in the spool. */
export interface CallDirectory {
  /** Calls matching the filter, most recent first. */
  list(filter: CallListFilter): CallSummary[];
  /** One call, or undefined when the spool does not have it. */
  get(callId: string): CallDetail | undefined;
}

/** The calls in the spool, with their audio exported as files (WAV, pcap). */
export interface CallExporter extends CallDirectory {
  /** One stream's audio as a WAV file (gaps as silence), or undefined for an unknown call or stream. */
  wav(callId: string, streamId: number): Uint8Array | undefined;
  /**
   * The whole call as one WAV file (16-bit linear PCM, one channel per stream in m-line order, the
   * first 8, aligned on the call's timeline), or undefined for an unknown call.
   */
  callWav(callId: string): Uint8Array | undefined;
  /** The call's RTP as a libpcap capture (one UDP flow per stream), or undefined for an unknown call. */
  pcap(callId: string): Uint8Array | undefined;
}
