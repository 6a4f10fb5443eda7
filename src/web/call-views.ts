import type { SinkUnitStatus } from "../sinks/index.ts";
import { elapsedMs, formatDuration, formatLoss, formatTime, levelDbfs, levelPercent } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import type { CallStatus, StreamStatus } from "./status-types.ts";

const goodSinkStates = new Set(["open", "done"]);
const badSinkStates = new Set(["backoff", "circuit-open", "failed"]);

/** Whether the page links each call's pcap and each stream's WAV (the calls API is served). */
export interface CallViewOptions {
  /** @default false */
  downloads?: boolean;
}

function roleBadge(role: string): SafeHtml {
  return html`<span class="role role-${role === "agent" || role === "customer" ? role : "unknown"}">${role}</span>`;
}

function callUrl(callId: string): string {
  return `/api/calls/${encodeURIComponent(callId)}`;
}

function callCell(call: CallStatus, options: CallViewOptions): SafeHtml {
  return html`<div class="mono" title="our call id">${call.callId}</div>
<div class="mono sub" title="SIP Call-ID">${call.sipCallId}</div>
<div class="sub">from ${call.source}</div>
${options.downloads ? html`<div class="sub"><a href="${callUrl(call.callId)}.pcap" download>RTP pcap</a></div>` : false}`;
}

function correlationCell(correlation: Record<string, string>): SafeHtml {
  const entries = Object.entries(correlation).filter(([key]) => key !== "sipCallId");
  if (entries.length === 0) return html`<span class="sub">—</span>`;
  return html`<dl class="kv">${entries.map(([k, v]) => html`<dt>${k}</dt><dd class="mono">${v}</dd>`)}</dl>`;
}

function participantsCell(call: CallStatus): SafeHtml {
  if (call.participants.length === 0) return html`<span class="sub">no metadata</span>`;
  return html`<ul class="plain">${call.participants.map(
    (p) =>
      html`<li>${roleBadge(p.role)} ${p.name || p.participantId} <span class="mono sub">${p.aor}</span></li>`,
  )}</ul>`;
}

function levelMeter(level: number): SafeHtml {
  const dbfs = Math.round(levelDbfs(level));
  return html`<meter min="0" max="100" low="15" high="95" optimum="50" value="${levelPercent(level)}" title="${dbfs} dBFS"></meter>`;
}

function streamRow(callId: string, s: StreamStatus, live: boolean, options: CallViewOptions): SafeHtml {
  const lossClass = s.packetsLost > 0 ? "warn" : "";
  const wav = options.downloads
    ? html` <a href="${callUrl(callId)}/streams/${s.streamId}.wav" download class="sub">wav</a>`
    : false;
  return html`<tr>
<td class="mono">${s.label}${wav}</td><td>${s.codec}</td><td>${roleBadge(s.role)}</td>
<td class="num">${s.packetsReceived}</td>
<td class="num ${lossClass}">${s.packetsLost} (${formatLoss(s.packetsReceived, s.packetsLost)})</td>
<td class="num">${s.jitterMs.toFixed(1)} ms</td>
${live ? html`<td>${levelMeter(s.level)}</td>` : false}
<td class="num">${s.framesSpooled}</td>
</tr>`;
}

function streamsCell(call: CallStatus, live: boolean, options: CallViewOptions): SafeHtml {
  const streams = call.streams;
  if (streams.length === 0) return html`<span class="sub">no streams</span>`;
  return html`<table class="inner"><thead><tr>
<th>label</th><th>codec</th><th>sender</th><th>RX pkts</th><th>lost</th><th>jitter</th>
${live ? html`<th>level</th>` : false}<th>spooled</th>
</tr></thead><tbody>${streams.map((s) => streamRow(call.callId, s, live, options))}</tbody></table>`;
}

function reconnects(count: number): string {
  if (count === 0) return "";
  return count === 1 ? ", 1 reconnect" : `, ${count} reconnects`;
}

function backlog(ms: number): string {
  return ms >= 1000 ? `, ${formatDuration(ms)} behind` : "";
}

function sinkState(state: string): SafeHtml {
  const cls = goodSinkStates.has(state) ? "ok" : badSinkStates.has(state) ? "bad" : "pending";
  return html`<span class="state state-${cls}">${state}</span>`;
}

function sinksCell(sinks: SinkUnitStatus[]): SafeHtml {
  if (sinks.length === 0) return html`<span class="sub">none</span>`;
  return html`<ul class="plain">${sinks.map(
    (u) => html`<li>${sinkState(u.state)} <b>${u.sink}</b>${u.unit === "call" ? "" : ` #${u.unit}`}
<span class="sub">acked ${u.ackedSeq}/${u.sentSeq}${reconnects(u.reconnects)}${backlog(u.backlogMs)}</span>
${u.lastError ? html`<div class="error">${u.lastError}</div>` : false}</li>`,
  )}</ul>`;
}

/** The live-calls table: one row per call with correlation ids, participants, streams (level meters) and sinks. */
export function renderLiveCalls(calls: CallStatus[], nowMs: number, options: CallViewOptions = {}): SafeHtml {
  if (calls.length === 0) return html`<p class="empty">No live calls.</p>`;
  return html`<table class="calls"><thead><tr>
<th>started</th><th>call</th><th>correlation</th><th>participants</th><th>streams</th><th>sinks</th>
</tr></thead><tbody>${calls.map(
    (c) => html`<tr>
<td>${formatTime(c.startedAt)}<div class="sub">${formatDuration(elapsedMs(c.startedAt, null, nowMs))}</div></td>
<td>${callCell(c, options)}</td><td>${correlationCell(c.correlation)}</td><td>${participantsCell(c)}</td>
<td>${streamsCell(c, true, options)}</td><td>${sinksCell(c.sinks)}</td>
</tr>`,
  )}</tbody></table>`;
}

/** The recent-calls table: like the live one, plus end time, duration, final state and reason. */
export function renderRecentCalls(
  calls: CallStatus[],
  nowMs: number,
  options: CallViewOptions = {},
): SafeHtml {
  if (calls.length === 0) return html`<p class="empty">No recent calls.</p>`;
  return html`<table class="calls"><thead><tr>
<th>started</th><th>ended</th><th>state</th><th>call</th><th>correlation</th><th>participants</th><th>streams</th><th>sinks</th>
</tr></thead><tbody>${calls.map(
    (c) => html`<tr>
<td>${formatTime(c.startedAt)}</td>
<td>${formatTime(c.endedAt)}<div class="sub">${formatDuration(elapsedMs(c.startedAt, c.endedAt, nowMs))}</div></td>
<td><span class="state state-${c.state === "completed" ? "ok" : "pending"}">${c.state}</span><div class="sub">${c.reason}</div></td>
<td>${callCell(c, options)}</td><td>${correlationCell(c.correlation)}</td><td>${participantsCell(c)}</td>
<td>${streamsCell(c, false, options)}</td><td>${sinksCell(c.sinks)}</td>
</tr>`,
  )}</tbody></table>`;
}
