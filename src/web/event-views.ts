import { formatTime } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import type { RecentEvent } from "./status-types.ts";

/** Events that mean something went wrong, shown in red. */
const badEvents = new Set([
  "SINKDISCONNECTED",
  "SIPRECFORWARDFAILED",
  "SPOOLHIGHWATER",
  "SPOOLRECOVERED",
  "MEDIATIMEOUT",
  "ALARM",
]);
/** Events that mean something recovered or went well, shown in green. */
const goodEvents = new Set([
  "SESSIONSTARTED",
  "SINKCONNECTED",
  "SINKCAUGHTUP",
  "SIPRECFORWARDSTARTED",
  "DRAINED",
]);

function eventBadge(event: string): SafeHtml {
  const tone = badEvents.has(event) ? "bad" : goodEvents.has(event) ? "ok" : "pending";
  return html`<span class="state state-${tone}">${event}</span>`;
}

/** The recent-events table: time (UTC), event, call id and a one-line summary, newest first. */
export function renderRecentEvents(events: readonly RecentEvent[]): SafeHtml {
  if (events.length === 0) return html`<p class="empty">No events yet.</p>`;
  return html`<table class="events"><thead><tr><th>time (UTC)</th><th>event</th><th>call</th><th>what</th></tr></thead>
<tbody>${events.map(
    (
      e,
    ) => html`<tr><td class="mono nowrap">${formatTime(e.time).slice(11)}</td><td>${eventBadge(e.event)}</td>
<td class="mono sub" title="${e.sessionId}">${e.sessionId ? e.sessionId.slice(-12) : "—"}</td><td>${e.summary}</td></tr>`,
  )}</tbody></table>`;
}
