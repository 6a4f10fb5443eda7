import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import {
  type MetricsSample,
  metricsContentType,
  renderMetrics,
  type StatusServer,
  type StatusServerOptions,
  startStatusServer,
} from "../../../src/web/index.ts";
import { sampleMetrics } from "./sample-metrics.ts";
import { sampleSnapshot } from "./sample-snapshot.ts";

const token = "m3trics-token";
const servers: StatusServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function serve(extra: Partial<StatusServerOptions> = {}): Promise<StatusServer> {
  const server = await startStatusServer({
    listen: "127.0.0.1:0",
    snapshot: () => sampleSnapshot(),
    auth: { token },
    ...extra,
  });
  servers.push(server);
  return server;
}

/** Runs `promtool check metrics` on the text; returns its exit status and everything it printed. */
function promtoolCheck(exposition: string): { status: number | null; output: string } {
  const run = spawnSync("/usr/bin/promtool", ["check", "metrics"], { input: exposition, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The value of one sample line, e.g. `siprec_edge_sink_units{sink="ai",state="open"}`. */
function seriesValue(exposition: string, series: string): number | undefined {
  const line = exposition.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("renderMetrics", () => {
  it("passes promtool check metrics without a single lint warning", async () => {
    const result = promtoolCheck(await renderMetrics(sampleMetrics()));
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  it("passes promtool for an idle appliance with no sinks, codecs or SIP traffic yet", async () => {
    const idle: MetricsSample = {
      ...sampleMetrics(),
      callsActive: 0,
      callsTotal: 0,
      rtp: [],
      sinks: [],
      sip: { responsesByStatus: {}, requestsByMethod: {}, parseErrors: 0 },
    };
    const result = promtoolCheck(await renderMetrics(idle));
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  it("exposes the appliance, call, spool and outbox figures in base units", async () => {
    const text = await renderMetrics(sampleMetrics());
    expect(seriesValue(text, 'siprec_edge_info{version="0.4.0",appliance_id="edge-01"}')).toBe(1);
    expect(seriesValue(text, "siprec_edge_accepting")).toBe(1);
    expect(seriesValue(text, "siprec_edge_draining")).toBe(0);
    expect(seriesValue(text, "siprec_edge_mqtt_connected")).toBe(1);
    expect(seriesValue(text, "siprec_edge_calls_active")).toBe(3);
    expect(seriesValue(text, "siprec_edge_calls_total")).toBe(1742);
    expect(seriesValue(text, "siprec_edge_spool_bytes")).toBe(734_003_200);
    expect(seriesValue(text, "siprec_edge_spool_max_bytes")).toBe(21_474_836_480);
    expect(seriesValue(text, "siprec_edge_spool_oldest_undelivered_seconds")).toBe(42.5);
    expect(seriesValue(text, "siprec_edge_spool_frames_discarded_total")).toBe(118);
    expect(seriesValue(text, 'siprec_edge_forward_sessions{sink="compliance",state="live"}')).toBe(2);
    expect(seriesValue(text, 'siprec_edge_forward_sessions{sink="compliance",state="replaying"}')).toBe(0);
    expect(seriesValue(text, 'siprec_edge_forward_owed_frames{sink="compliance"}')).toBe(1500);
    expect(seriesValue(text, "siprec_edge_event_outbox_depth")).toBe(7);
    expect(text).toContain("# TYPE siprec_edge_calls_total counter");
    expect(text).toContain("# TYPE siprec_edge_calls_active gauge");
  });

  it("counts RTP packets received and lost per codec", async () => {
    const text = await renderMetrics(sampleMetrics());
    expect(seriesValue(text, 'siprec_edge_rtp_packets_received_total{codec="PCMU"}')).toBe(8_250_000);
    expect(seriesValue(text, 'siprec_edge_rtp_packets_lost_total{codec="PCMU"}')).toBe(312);
    expect(seriesValue(text, 'siprec_edge_rtp_packets_received_total{codec="PCMA"}')).toBe(1_004_500);
    expect(seriesValue(text, 'siprec_edge_rtp_packets_lost_total{codec="PCMA"}')).toBe(0);
  });

  it("shows every sink unit state for every sink, 0 where no unit is in it", async () => {
    const text = await renderMetrics(sampleMetrics());
    const states = [
      "connecting",
      "open",
      "replaying",
      "backoff",
      "circuit-open",
      "closing",
      "done",
      "failed",
    ];
    for (const sink of ["ai", "archive"]) {
      for (const state of states) {
        expect(seriesValue(text, `siprec_edge_sink_units{sink="${sink}",state="${state}"}`)).toBeDefined();
      }
    }
    expect(seriesValue(text, 'siprec_edge_sink_units{sink="ai",state="open"}')).toBe(2);
    expect(seriesValue(text, 'siprec_edge_sink_units{sink="ai",state="replaying"}')).toBe(1);
    expect(seriesValue(text, 'siprec_edge_sink_units{sink="ai",state="backoff"}')).toBe(0);
    expect(seriesValue(text, 'siprec_edge_sink_units{sink="archive",state="backoff"}')).toBe(3);
    expect(seriesValue(text, 'siprec_edge_sink_backlog_seconds{sink="archive"}')).toBe(940);
    expect(seriesValue(text, 'siprec_edge_sink_reconnects_total{sink="archive"}')).toBe(61);
  });

  it("counts SIP responses by code, requests by method and parse errors", async () => {
    const text = await renderMetrics(sampleMetrics());
    expect(seriesValue(text, 'siprec_edge_sip_responses_total{code="200"}')).toBe(3612);
    expect(seriesValue(text, 'siprec_edge_sip_responses_total{code="503"}')).toBe(5);
    expect(seriesValue(text, 'siprec_edge_sip_requests_total{method="OPTIONS"}')).toBe(2880);
    expect(seriesValue(text, "siprec_edge_sip_parse_errors_total")).toBe(2);
  });

  it("shows the same cumulative figures on every scrape instead of adding them up", async () => {
    const first = await renderMetrics(sampleMetrics());
    const second = await renderMetrics(sampleMetrics());
    expect(second).toBe(first);
  });

  it("escapes label values that come from config so the exposition stays valid", async () => {
    const sample = sampleMetrics();
    sample.sinks[0] = { sink: 'odd "name"\\with\nnewline', unitsByState: {}, backlogS: 0, reconnects: 0 };
    const result = promtoolCheck(await renderMetrics(sample));
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  it("shows a negative loss sum (duplicated packets) as 0 rather than failing the scrape", async () => {
    const sample = sampleMetrics();
    sample.rtp = [{ codec: "PCMU", packetsReceived: 100, packetsLost: -3 }];
    const text = await renderMetrics(sample);
    expect(seriesValue(text, 'siprec_edge_rtp_packets_lost_total{codec="PCMU"}')).toBe(0);
  });
});

describe("GET /metrics", () => {
  it("serves the exposition with the Prometheus content type to an authenticated scraper", async () => {
    const server = await serve({ metrics: sampleMetrics });
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(metricsContentType);
    expect(metricsContentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.text();
    expect(body).toBe(await renderMetrics(sampleMetrics()));
    expect(promtoolCheck(body).output).toBe("");
  });

  it("takes a fresh sample on every scrape", async () => {
    let calls = 0;
    const server = await serve({ metrics: () => ({ ...sampleMetrics(), callsActive: ++calls }) });
    const headers = { authorization: `Bearer ${token}` };
    await fetch(`${server.url}/metrics`, { headers });
    const text = await (await fetch(`${server.url}/metrics`, { headers })).text();
    expect(seriesValue(text, "siprec_edge_calls_active")).toBe(2);
  });

  it("answers 401 without credentials and never takes a sample", async () => {
    let sampled = false;
    const server = await serve({
      metrics: () => {
        sampled = true;
        return sampleMetrics();
      },
    });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain("siprec_edge");
    expect(sampled).toBe(false);
  });

  it("answers 404 when no sampler is configured and 405 for a POST", async () => {
    const headers = { authorization: `Bearer ${token}` };
    const bare = await serve();
    expect((await fetch(`${bare.url}/metrics`, { headers })).status).toBe(404);
    const server = await serve({ metrics: sampleMetrics });
    const res = await fetch(`${server.url}/metrics`, { method: "POST", headers });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers 500 when sampling fails and keeps serving the rest", async () => {
    const server = await serve({
      metrics: () => {
        throw new Error("spool gone");
      },
    });
    const headers = { authorization: `Bearer ${token}` };
    expect((await fetch(`${server.url}/metrics`, { headers })).status).toBe(500);
    expect((await fetch(`${server.url}/api/status`, { headers })).status).toBe(200);
  });
});
