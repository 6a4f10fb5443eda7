import { formatBytes } from "../lib/index.ts";
import { pageScript } from "./assets/page-script.ts";
import { pageStyle } from "./assets/page-style.ts";
import { type CallViewOptions, renderLiveCalls, renderRecentCalls } from "./call-views.ts";
import { formatDuration, formatTime } from "./format.ts";
import { html, SafeHtml } from "./html.ts";
import type { StatusSnapshot } from "./status-types.ts";

/** The parts of the page that change, keyed by the id of the element that holds each. */
export interface PageSections {
  /** Appliance id, version, uptime, last update. */
  header: string;
  /** Health tiles: accepting calls, SIP, MQTT, spool. */
  banner: string;
  /** Live-calls table. */
  live: string;
  /** Recent-calls table. */
  recent: string;
  /** Counters table. */
  counters: string;
}

type Tone = "ok" | "bad" | "off";

function tile(tone: Tone, title: string, value: string, detail: string): SafeHtml {
  return html`<div class="tile tile-${tone}"><div class="tile-title">${title}</div>
<div class="tile-value">${value}</div><div class="tile-detail">${detail}</div></div>`;
}

function renderBanner(s: StatusSnapshot): SafeHtml {
  const { sip, mqtt, spool, accepting } = s.health;
  const mqttTone: Tone = !mqtt.configured ? "off" : mqtt.connected ? "ok" : "bad";
  const mqttValue = !mqtt.configured ? "not configured" : mqtt.connected ? "connected" : "DISCONNECTED";
  return html`${tile(
    accepting ? "ok" : "bad",
    "New calls",
    accepting ? "accepting" : "REFUSED (503)",
    accepting ? `${s.calls.live.length} live` : "INVITE and OPTIONS answered 503",
  )}
${tile(
  sip.listening.length > 0 ? "ok" : "bad",
  "SIP",
  sip.listening.length > 0 ? "listening" : "NOT LISTENING",
  sip.listening.join(", ") || "no SIP listener is up",
)}
${tile(mqttTone, "MQTT broker", mqttValue, mqtt.configured ? "events and status" : "events are logged only")}
${tile("ok", "Spool", formatBytes(spool.bytes), `${spool.framesPending} frames pending · ${spool.path}`)}`;
}

function renderHeader(s: StatusSnapshot, nowMs: number): SafeHtml {
  return html`<h1>siprec-edge <span class="appliance">${s.applianceId}</span></h1>
<div class="meta">version ${s.version} · up ${formatDuration(s.uptimeS * 1000)} since ${formatTime(s.startedAt)} UTC
· updated ${formatTime(new Date(nowMs).toISOString())} UTC</div>`;
}

function renderCounters(counters: Record<string, number>): SafeHtml {
  const entries = Object.entries(counters).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return html`<p class="empty">No counters.</p>`;
  return html`<table class="counters"><tbody>${entries.map(
    ([name, value]) => html`<tr><td class="mono">${name}</td><td class="num">${value}</td></tr>`,
  )}</tbody></table>`;
}

/** Renders the changing parts of the page from a snapshot (every string escaped). */
export function renderSections(
  snapshot: StatusSnapshot,
  nowMs: number,
  options: CallViewOptions = {},
): PageSections {
  return {
    header: renderHeader(snapshot, nowMs).value,
    banner: renderBanner(snapshot).value,
    live: renderLiveCalls(snapshot.calls.live, nowMs, options).value,
    recent: renderRecentCalls(snapshot.calls.recent, nowMs, options).value,
    counters: renderCounters(snapshot.counters).value,
  };
}

/**
 * Renders the whole self-contained status page (inline CSS and JS, no external resources).
 * The script keeps the sections current from the `view` events of `/api/events`.
 */
export function renderPage(snapshot: StatusSnapshot, nowMs: number, options: CallViewOptions = {}): string {
  const s = renderSections(snapshot, nowMs, options);
  // Sections come from html``; style and script are constants of this build.
  const raw = (markup: string): SafeHtml => new SafeHtml(markup);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>siprec-edge · ${snapshot.applianceId}</title>
<link rel="icon" href="data:,">
<style>${raw(pageStyle)}</style>
</head>
<body>
<header id="header">${raw(s.header)}</header>
<div id="stale" class="stale" hidden>Live updates interrupted — reconnecting…</div>
<section id="banner" class="banner">${raw(s.banner)}</section>
<h2>Live calls</h2>
<section id="live">${raw(s.live)}</section>
<h2>Recent calls</h2>
<section id="recent">${raw(s.recent)}</section>
<details><summary>Counters</summary><section id="counters">${raw(s.counters)}</section></details>
<script>${raw(pageScript)}</script>
</body>
</html>
`.value;
}
