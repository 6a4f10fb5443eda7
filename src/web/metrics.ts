import { Counter, Gauge, Registry } from "prom-client";
import { errorCode, errorMessage, type Logger } from "../lib/index.ts";
import type { SinkUnitState } from "../sinks/index.ts";
import type { MetricsSample } from "./metrics-types.ts";
import { commonHeaders, text } from "./responses.ts";

/** Content-Type of `/metrics`: the Prometheus text exposition format 0.0.4. */
export const metricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// Every sink unit state, so each sink exposes all of them (0 when none) and dashboards keep their
// series. A Record over the union makes the compiler flag a state added to SinkUnitState.
const sinkUnitStates = Object.keys({
  connecting: true,
  open: true,
  replaying: true,
  backoff: true,
  "circuit-open": true,
  closing: true,
  done: true,
  failed: true,
} satisfies Record<SinkUnitState, true>);

/** A counter's value: cumulative figures that are negative or not finite count as 0. */
function counted(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

function flag(value: boolean): number {
  return value ? 1 : 0;
}

/** Registers the metrics of one scrape on a fresh registry (counters are set once from the sample). */
class ScrapeRegistry {
  readonly registry = new Registry();

  gauge(name: string, help: string, value: number): void {
    new Gauge({ name, help, registers: [this.registry] }).set(value);
  }

  counter(name: string, help: string, value: number): void {
    new Counter({ name, help, registers: [this.registry] }).inc(counted(value));
  }

  labelledGauge<L extends string>(name: string, help: string, labels: readonly L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames: labels, registers: [this.registry] });
  }

  labelledCounter<L extends string>(name: string, help: string, labels: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames: labels, registers: [this.registry] });
  }
}

function addAppliance(r: ScrapeRegistry, s: MetricsSample): void {
  r.labelledGauge("siprec_edge_info", "Software version and appliance id; always 1.", [
    "version",
    "appliance_id",
  ]).set({ version: s.version, appliance_id: s.applianceId }, 1);
  r.gauge(
    "siprec_edge_accepting",
    "1 while new INVITEs are accepted, 0 while they get 503.",
    flag(s.accepting),
  );
  r.gauge(
    "siprec_edge_draining",
    "1 while draining (new calls refused, live ones finishing).",
    flag(s.draining),
  );
  r.gauge("siprec_edge_mqtt_connected", "1 while connected to the MQTT broker.", flag(s.mqttConnected));
  r.gauge("siprec_edge_calls_active", "Recording sessions live now.", s.callsActive);
  r.counter("siprec_edge_calls_total", "Recording sessions answered since start.", s.callsTotal);
  r.gauge(
    "siprec_edge_event_outbox_depth",
    "Events waiting in the outbox for the MQTT broker.",
    s.eventOutboxDepth,
  );
}

function addRtp(r: ScrapeRegistry, s: MetricsSample): void {
  const received = r.labelledCounter(
    "siprec_edge_rtp_packets_received_total",
    "Valid RTP packets received, by codec.",
    ["codec"],
  );
  const lost = r.labelledCounter(
    "siprec_edge_rtp_packets_lost_total",
    "RTP packets lost (RFC 3550 section 6.4.1), by codec.",
    ["codec"],
  );
  for (const { codec, packetsReceived, packetsLost } of s.rtp) {
    received.inc({ codec }, counted(packetsReceived));
    lost.inc({ codec }, counted(packetsLost));
  }
}

function addSpool(r: ScrapeRegistry, s: MetricsSample): void {
  r.gauge("siprec_edge_spool_bytes", "Size of the spool database in bytes.", s.spool.bytes);
  r.gauge("siprec_edge_spool_max_bytes", "Configured spool.max_bytes in bytes.", s.spool.maxBytes);
  r.gauge(
    "siprec_edge_spool_oldest_undelivered_seconds",
    "Age of the oldest audio a sink still has to deliver, in seconds (0 when all is delivered).",
    s.spool.oldestUndeliveredAgeS,
  );
  r.counter(
    "siprec_edge_spool_frames_discarded_total",
    "Audio frames stored as DISCARDED gaps because the spool was full (audio lost, declared).",
    s.spool.framesDiscarded,
  );
}

function addSinks(r: ScrapeRegistry, s: MetricsSample): void {
  const units = r.labelledGauge("siprec_edge_sink_units", "Sink units by sink and connection state.", [
    "sink",
    "state",
  ]);
  const backlog = r.labelledGauge(
    "siprec_edge_sink_backlog_seconds",
    "Audio a sink still has to deliver, in seconds.",
    ["sink"],
  );
  const reconnects = r.labelledCounter(
    "siprec_edge_sink_reconnects_total",
    "Reconnect attempts of a sink since start.",
    ["sink"],
  );
  for (const { sink, unitsByState, backlogS, reconnects: attempts } of s.sinks) {
    const states = new Set([...sinkUnitStates, ...Object.keys(unitsByState)]);
    for (const state of states) units.set({ sink, state }, unitsByState[state] ?? 0);
    backlog.set({ sink }, backlogS);
    reconnects.inc({ sink }, counted(attempts));
  }
}

/** Forward states (`ForwardState` of the SIPREC forwarder), all exposed so dashboards see zeros. */
const forwardStates = ["starting", "live", "replaying", "owed", "done"] as const;

function addForwards(r: ScrapeRegistry, s: MetricsSample): void {
  const forwards = r.labelledGauge(
    "siprec_edge_forward_sessions",
    "SIPREC forwards (calls towards remote SRSs) by sink and state.",
    ["sink", "state"],
  );
  const owed = r.labelledGauge(
    "siprec_edge_forward_owed_frames",
    "Frames recorded but not yet sent to a remote SRS (to be replayed).",
    ["sink"],
  );
  for (const { sink, forwardsByState, owedFrames } of s.forwards) {
    const states = new Set<string>([...forwardStates, ...Object.keys(forwardsByState)]);
    for (const state of states) forwards.set({ sink, state }, forwardsByState[state] ?? 0);
    owed.set({ sink }, owedFrames);
  }
}

function addSip(r: ScrapeRegistry, s: MetricsSample): void {
  const responses = r.labelledCounter(
    "siprec_edge_sip_responses_total",
    "SIP responses sent since start, by status code.",
    ["code"],
  );
  for (const [code, count] of Object.entries(s.sip.responsesByStatus))
    responses.inc({ code }, counted(count));
  const requests = r.labelledCounter(
    "siprec_edge_sip_requests_total",
    "SIP requests received since start, by method.",
    ["method"],
  );
  for (const [method, count] of Object.entries(s.sip.requestsByMethod))
    requests.inc({ method }, counted(count));
  r.counter(
    "siprec_edge_sip_parse_errors_total",
    "SIP messages dropped as unparsable since start.",
    s.sip.parseErrors,
  );
}

/**
 * Renders a {@link MetricsSample} in the Prometheus text exposition format 0.0.4: `siprec_edge_*`
 * gauges for figures of the moment and `*_total` counters for the cumulative ones, in base units
 * (seconds, bytes). Every sink gets `siprec_edge_sink_units{sink,state}` for every sink unit
 * state (0 when none). Negative or non-finite cumulative figures are shown as 0. Pure: a fresh
 * registry per call, nothing global.
 */
export async function renderMetrics(sample: MetricsSample): Promise<string> {
  const registry = new ScrapeRegistry();
  addAppliance(registry, sample);
  addRtp(registry, sample);
  addSpool(registry, sample);
  addSinks(registry, sample);
  addForwards(registry, sample);
  addSip(registry, sample);
  return registry.registry.metrics();
}

/**
 * Answers `GET /metrics` (already authenticated) with {@link renderMetrics} of a fresh sample;
 * 404 without a sampler, 405 for methods other than GET and HEAD, 500 (logged) when sampling fails.
 */
export async function handleMetricsRequest(
  req: Request,
  metrics: (() => MetricsSample) | undefined,
  logger: Logger,
): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return text(405, "method not allowed\n", { allow: "GET, HEAD" });
  }
  if (!metrics) return text(404, "metrics are not available\n");
  let body: string;
  try {
    body = await renderMetrics(metrics());
  } catch (err) {
    logger.error("metrics scrape failed", { code: errorCode(err), error: errorMessage(err) });
    return text(500, "internal error\n");
  }
  return new Response(body, { headers: { "content-type": metricsContentType, ...commonHeaders } });
}
