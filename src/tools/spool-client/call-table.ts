import { formatBytes } from "../../lib/index.ts";
import type { WireCallSummary } from "./wire.ts";

const headers = [
  "CALL ID",
  "STATE",
  "STARTED (UTC)",
  "DURATION",
  "STREAMS",
  "FRAMES",
  "SIZE",
  "SINK BACKLOG",
];
/** Columns aligned to the right (numbers). */
const rightAligned = new Set([3, 4, 5, 6]);

/** `1:02:03` or `2:03` (h:mm:ss / m:ss). */
export function formatClock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/**
 * One entry per sink: the unit furthest behind, e.g. `ai 2.5s backoff`; `ai delivered` when every
 * unit of the sink is done with nothing owed; `-` without sinks.
 */
export function formatBacklog(sinks: WireCallSummary["sinks"]): string {
  const worst = new Map<string, { backlog: number; state: string; allDone: boolean }>();
  for (const unit of sinks) {
    const seen = worst.get(unit.sink);
    const done = unit.state === "done" && unit.backlogSeconds === 0;
    if (!seen || unit.backlogSeconds > seen.backlog) {
      worst.set(unit.sink, {
        backlog: unit.backlogSeconds,
        state: unit.state,
        allDone: (seen?.allDone ?? true) && done,
      });
    } else {
      seen.allDone &&= done;
    }
  }
  if (worst.size === 0) return "-";
  return [...worst]
    .map(([sink, w]) =>
      w.allDone ? `${sink} delivered` : `${sink} ${Number(w.backlog.toFixed(1))}s ${w.state}`,
    )
    .join(", ");
}

function row(call: WireCallSummary): string[] {
  const started = Date.parse(call.startedAt);
  return [
    call.callId,
    call.state,
    Number.isNaN(started) ? call.startedAt : new Date(started).toISOString().slice(0, 19).replace("T", " "),
    formatClock(call.durationMs),
    String(call.streamCount),
    String(call.frames),
    formatBytes(call.bytes),
    formatBacklog(call.sinks),
  ];
}

/** The calls as a plain-text table (one line per call, columns aligned, a header line), ending in a newline. */
export function renderCallTable(calls: readonly WireCallSummary[]): string {
  const rows = [headers, ...calls.map(row)];
  const widths = headers.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]): string =>
    r
      .map((cell, c) => {
        const width = widths[c] ?? 0;
        return rightAligned.has(c) ? cell.padStart(width) : c === r.length - 1 ? cell : cell.padEnd(width);
      })
      .join("  ");
  const body = rows.map(line).join("\n");
  return calls.length === 0 ? `${body}\n(no calls in the spool)\n` : `${body}\n`;
}
