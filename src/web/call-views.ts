import type { ForwardStatus, SinkUnitStatus } from "../sinks/index.ts";
import { elapsedMs, formatDuration, formatLoss, formatTime, levelDbfs, levelPercent } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import type { CallStatus, StreamStatus } from "./status-types.ts";

const goodSinkStates = new Set(["open", "done", "live"]);
const badSinkStates = new Set(["backoff", "circuit-open", "failed", "owed"]);

/** Live calls rendered as rows; the rest are counted (the page stays usable with many calls). */
export const maxLiveRows = 100;

/** Which download links the page shows. */
export interface CallViewOptions {
  /** Link each call's audio pcap and WAV, and each stream's WAV (the calls API is served). @default false */
  downloads?: boolean;
  /** Link each call's SIP+RTP capture, `/api/calls/<id>/capture.pcap` (the capture API is served). @default false */
  captures?: boolean;
}

function roleBadge(role: string): SafeHtml {
  return html`<span class="role role-${role === "agent" || role === "customer" ? role : "unknown"}">${role}</span>`;
}

function callUrl(callId: string): string {
  return `/api/calls/${encodeURIComponent(callId)}`;
}

function downloads(call: CallStatus, options: CallViewOptions): SafeHtml | false {
  if (!options.downloads && !options.captures) return false;
  const url = callUrl(call.callId);
  return html`<div class="links">${
    options.captures
      ? html`<a href="${url}/capture.pcap" download data-download="capture" title="SIP and RTP as received">pcap</a>`
      : false
  }${
    options.downloads
      ? html`<a href="${url}.pcap" download data-download="audio-pcap" title="RTP rebuilt from the spool">audio pcap</a>
<a href="${url}.wav" download data-download="wav" title="one channel per stream, in m-line order">WAV</a>`
      : false
  }</div>`;
}

function callCell(call: CallStatus, options: CallViewOptions): SafeHtml {
  return html`<div class="mono" title="our call id">${call.callId}</div>
<div class="mono sub" title="SIP Call-ID">${call.sipCallId}</div>
<div class="sub">from ${call.source}</div>
${downloads(call, options)}`;
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

function levelMeter(streamId: number, level: number): SafeHtml {
  const dbfs = Math.round(levelDbfs(level));
  return html`<meter data-stream="${streamId}" min="0" max="100" low="15" high="95" optimum="50" value="${levelPercent(level)}" title="${dbfs} dBFS"></meter>`;
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
${live ? html`<td>${levelMeter(s.streamId, s.level)}</td>` : false}
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

function forwardItem(f: ForwardStatus): SafeHtml {
  const owed = f.owedFrames > 0 ? `, ${f.owedFrames} frames owed` : "";
  return html`<li>${sinkState(f.state)} <b>${f.sink}</b> <span class="sub">SIPREC → ${f.target || f.uri}</span>
<span class="sub">${f.packetsSent} pkts sent${owed}</span>
${f.lastError ? html`<div class="error">${f.lastError}</div>` : false}</li>`;
}

function sinksCell(sinks: SinkUnitStatus[], forwards: ForwardStatus[]): SafeHtml {
  if (sinks.length === 0 && forwards.length === 0) return html`<span class="sub">none</span>`;
  return html`<ul class="plain">${sinks.map(
    (u) => html`<li>${sinkState(u.state)} <b>${u.sink}</b>${u.unit === "call" ? "" : ` #${u.unit}`}
<span class="sub">acked ${u.ackedSeq}/${u.sentSeq}${reconnects(u.reconnects)}${backlog(u.backlogMs)}</span>
${u.lastError ? html`<div class="error">${u.lastError}</div>` : false}</li>`,
  )}${forwards.map(forwardItem)}</ul>`;
}

/**
 * The live-calls table: one row per call with correlation ids, participants, streams (level meters
 * `meter[data-stream]`) and sinks/forwards; at most {@link maxLiveRows} rows, then a count of the rest.
 */
export function renderLiveCalls(calls: CallStatus[], nowMs: number, options: CallViewOptions = {}): SafeHtml {
  if (calls.length === 0) return html`<p class="empty">No live calls.</p>`;
  const hidden = calls.length - maxLiveRows;
  return html`<table class="calls"><thead><tr>
<th>started</th><th>call</th><th>correlation</th><th>participants</th><th>streams</th><th>sinks</th>
</tr></thead><tbody>${calls.slice(0, maxLiveRows).map(
    (c) => html`<tr data-call="${c.callId}">
<td>${formatTime(c.startedAt)}<div class="sub">${formatDuration(elapsedMs(c.startedAt, null, nowMs))}</div></td>
<td>${callCell(c, options)}</td><td class="corr">${correlationCell(c.correlation)}</td><td class="who">${participantsCell(c)}</td>
<td>${streamsCell(c, true, options)}</td><td class="sinks">${sinksCell(c.sinks, c.forwards)}</td>
</tr>`,
  )}</tbody></table>${
    hidden > 0
      ? html`<p class="more">… and ${hidden} more live calls (all of them: <a href="/api/status">/api/status</a>).</p>`
      : false
  }`;
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
    (c) => html`<tr data-call="${c.callId}">
<td>${formatTime(c.startedAt)}</td>
<td>${formatTime(c.endedAt)}<div class="sub">${formatDuration(elapsedMs(c.startedAt, c.endedAt, nowMs))}</div></td>
<td><span class="state state-${c.state === "completed" ? "ok" : "pending"}">${c.state}</span><div class="sub">${c.reason}</div></td>
<td>${callCell(c, options)}</td><td class="corr">${correlationCell(c.correlation)}</td><td class="who">${participantsCell(c)}</td>
<td>${streamsCell(c, false, options)}</td><td class="sinks">${sinksCell(c.sinks, c.forwards)}</td>
</tr>`,
  )}</tbody></table>`;
}
