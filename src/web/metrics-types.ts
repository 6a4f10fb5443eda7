/**
 * What `/metrics` exposes (DESIGN.md §6, issue #4): one sample of the appliance's figures that
 * `app/` assembles per scrape from the SRS, the spool, the sinks, the SIP stack and the MQTT
 * publisher. Counters here are cumulative since the process started. This file holds types only.
 */

/** Cumulative RTP figures of every stream recorded with one codec since the process started. */
export interface RtpCodecSample {
  /** Codec name as recorded, e.g. `PCMU`, `PCMA`, `G722`. */
  codec: string;
  /** Valid RTP packets received, packets, cumulative since start. */
  packetsReceived: number;
  /** RTP packets lost (RFC 3550 §6.4.1), packets, cumulative since start; a negative sum is shown as 0. */
  packetsLost: number;
}

/** The spool's size and delivery lag at the time of the scrape (DESIGN.md §4). */
export interface SpoolSample {
  /** Bytes the spool database uses now, bytes. */
  bytes: number;
  /** Configured `spool.max_bytes`, bytes. */
  maxBytes: number;
  /** Age of the oldest frame some sink still has to deliver, seconds; 0 when all is delivered. */
  oldestUndeliveredAgeS: number;
  /** Audio frames stored as DISCARDED gaps since start (the spool was full: audio lost, declared), frames, cumulative. */
  framesDiscarded: number;
}

/** One configured sink's delivery figures at the time of the scrape (DESIGN.md §5). */
export interface SinkSample {
  /** Sink name from config (`sinks[].name`). */
  sink: string;
  /**
   * Sink units (one per call, or per stream in per-participant mode) by connection state
   * (`SinkUnitState`: `open`, `backoff`, …), units. Missing states are exposed as 0.
   */
  unitsByState: Record<string, number>;
  /** Audio still to deliver over all of the sink's units, seconds of audio. */
  backlogS: number;
  /** Reconnect attempts since start, attempts, cumulative. */
  reconnects: number;
}

/** One SIPREC forwarding sink: its forward sessions by state and the audio it is still owed. */
export interface ForwardSample {
  /** Sink name from config (`sinks[].name`, `type: siprec`), or of an ad-hoc forward. */
  sink: string;
  /** Forwards of live and spooled calls by state (`starting`, `live`, `replaying`, `owed`, `done`), forwards. */
  forwardsByState: Record<string, number>;
  /** Frames recorded but not yet sent to the remote SRS over all its forwards, frames. */
  owedFrames: number;
}

/** SIP traffic since the process started (RFC 3261). */
export interface SipSample {
  /** Final and provisional responses we sent, by status code (`"200"`, `"503"`), responses, cumulative. */
  responsesByStatus: Record<string, number>;
  /** Requests we received, by method (`INVITE`, `BYE`, `OPTIONS`), requests, cumulative. */
  requestsByMethod: Record<string, number>;
  /** Datagrams or stream messages dropped as unparsable, messages, cumulative. */
  parseErrors: number;
}

/** One sample of everything `/metrics` exposes (Prometheus text format 0.0.4). */
export interface MetricsSample {
  /** Config `appliance_id` (label `appliance_id` of `siprec_edge_info`). */
  applianceId: string;
  /** Software version (label `version` of `siprec_edge_info`). */
  version: string;
  /** Whether new INVITEs are accepted (false: they and OPTIONS get 503). */
  accepting: boolean;
  /** Whether a `drain` is in progress or done (new calls refused, live ones finishing). */
  draining: boolean;
  /** Whether the MQTT client is connected to its broker (false when not configured). */
  mqttConnected: boolean;
  /** Recording sessions live now, calls. */
  callsActive: number;
  /** Recording sessions answered since start, calls, cumulative. */
  callsTotal: number;
  /** RTP figures per codec, cumulative since start. */
  rtp: RtpCodecSample[];
  /** The spool now. */
  spool: SpoolSample;
  /** Every configured sink, now. */
  sinks: SinkSample[];
  /** SIPREC forwarding sinks (we as SRC towards remote SRSs). */
  forwards: ForwardSample[];
  /** SIP traffic, cumulative since start. */
  sip: SipSample;
  /** Events in the spool's outbox not yet acknowledged by the MQTT broker, events. */
  eventOutboxDepth: number;
}
