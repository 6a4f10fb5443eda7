import { pageScript } from "./assets/page-script.ts";
import { pageStyle } from "./assets/page-style.ts";
import { type CallViewOptions, renderLiveCalls, renderRecentCalls } from "./call-views.ts";
import { renderRecentEvents } from "./event-views.ts";
import { formatDuration, formatTime } from "./format.ts";
import { renderActions, renderBanner } from "./health-views.ts";
import { html, SafeHtml } from "./html.ts";
import type { StatusSnapshot } from "./status-types.ts";

/** The parts of the page that change, keyed by the id of the element that holds each. */
export interface PageSections {
  /** Appliance id, version, uptime, last update. */
  header: string;
  /** Health tiles: new calls (accepting / draining), SIP, MQTT, spool, oldest undelivered audio, sinks. */
  banner: string;
  /** Command buttons (empty without the commands API). */
  actions: string;
  /** Live-calls table. */
  live: string;
  /** Recent-events table. */
  events: string;
  /** Recent-calls table. */
  recent: string;
  /** Counters table. */
  counters: string;
}

/** What the page offers besides the status: downloads and command buttons. */
export interface PageOptions extends CallViewOptions {
  /** Show the command buttons (the commands API is served). @default false */
  commands?: boolean;
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
  options: PageOptions = {},
): PageSections {
  return {
    header: renderHeader(snapshot, nowMs).value,
    banner: renderBanner(snapshot).value,
    actions: options.commands ? renderActions(snapshot).value : "",
    live: renderLiveCalls(snapshot.calls.live, nowMs, options).value,
    events: renderRecentEvents(snapshot.events).value,
    recent: renderRecentCalls(snapshot.calls.recent, nowMs, options).value,
    counters: renderCounters(snapshot.counters).value,
  };
}

/**
 * Renders the whole self-contained status page (inline CSS and JS, no external resources).
 * The script keeps the sections current from the `view` events of `/api/events`, moves the level
 * meters on `levels` events, and runs the buttons' commands.
 */
export function renderPage(snapshot: StatusSnapshot, nowMs: number, options: PageOptions = {}): string {
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
${
  options.commands
    ? html`<div class="toolbar"><span id="actions">${raw(s.actions)}</span><output id="reply" class="reply" aria-live="polite"></output></div>`
    : false
}
<h2>Live calls</h2>
<section id="live">${raw(s.live)}</section>
<h2>Recent calls</h2>
<section id="recent">${raw(s.recent)}</section>
<h2>Recent events</h2>
<section id="events">${raw(s.events)}</section>
<details><summary>Counters</summary><section id="counters">${raw(s.counters)}</section></details>
<script>${raw(pageScript)}</script>
</body>
</html>
`.value;
}
