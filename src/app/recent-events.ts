import type { AppEvent } from "../control/index.ts";
import type { RecentEvent } from "../web/index.ts";

/** Events the page lists. */
export const recentEventCapacity = 50;
/** Longest summary, characters. */
const maxSummaryLength = 160;

type Body = Record<string, unknown>;

function text(body: Body | undefined, key: string): string {
  const value = body?.[key];
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
}

function record(body: Body, key: string): Body | undefined {
  const value = body[key];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Body) : undefined;
}

function list(body: Body, key: string): Body[] {
  const value = body[key];
  return Array.isArray(value) ? (value as Body[]) : [];
}

function seconds(ms: string): string {
  const n = Number(ms);
  return Number.isFinite(n) ? `${Math.round(n / 1000)} s` : "";
}

function streamText(body: Body): string {
  const stream = record(body, "stream");
  return `stream ${text(stream, "label")} ${text(stream, "codec")} (${text(stream, "role")})`;
}

function who(body: Body): string {
  return list(body, "participants")
    .map((p) => `${text(p, "role")} ${text(p, "name") || text(p, "aor")}`.trim())
    .join(", ");
}

function sinks(body: Body): string {
  const names = Array.isArray(body.sinks) ? (body.sinks as unknown[]).map(String) : [];
  return names.length > 0 ? `sinks ${names.join(", ")}` : "no sink";
}

function sinkUnit(body: Body): string {
  const unit = text(body, "unit");
  return `sink ${text(body, "sink")}${unit && unit !== "call" ? ` #${unit}` : ""}`;
}

const summaries: Record<AppEvent["event"], (body: Body) => string> = {
  SESSIONSTARTED: (b) =>
    `from ${text(b, "source")}, ${list(b, "streams").length} streams; ${who(b) || "no participants yet"}; ${sinks(b)}`,
  SESSIONUPDATED: (b) => `${text(b, "reason")}: ${who(b) || "no participants"}; ${sinks(b)}`,
  STREAMSTARTED: (b) => streamText(b),
  STREAMSTOPPED: (b) =>
    `${streamText(b)} stopped (${text(b, "reason")}): ${text(b, "packetsReceived")} packets, ${text(b, "packetsLost")} lost`,
  SESSIONCOMPLETED: (b) => {
    const totals = record(b, "totals");
    return `${text(b, "state")} (${text(b, "reason")}) after ${seconds(text(b, "durationMs"))}, ${text(totals, "packetsReceived")} packets, ${text(totals, "packetsLost")} lost`;
  },
  SINKCONNECTED: (b) => `${sinkUnit(b)} connected`,
  SINKDISCONNECTED: (b) =>
    `${sinkUnit(b)} disconnected: ${text(b, "reason") || text(b, "lastError")}; ${text(b, "backlogSeconds")} s owed`,
  SINKCAUGHTUP: (b) => {
    const outage = text(b, "outageMs");
    return `${sinkUnit(b)} caught up${outage ? ` after ${seconds(outage)} outage` : ""}`;
  },
  RECORDINGPAUSED: (b) => `paused by ${text(b, "reason")} (${text(b, "trigger")}) ${text(b, "note")}`,
  RECORDINGRESUMED: (b) => `resumed by ${text(b, "reason")} (${text(b, "trigger")}) ${text(b, "note")}`,
  SPOOLHIGHWATER: (b) =>
    b.highWater === true
      ? `spool above its high-water mark: new calls get 503 (${text(b, "bytes")} bytes)`
      : "spool below its high-water mark again: taking calls",
  SPOOLRECOVERED: (b) =>
    `${list(b, "recoveredCalls").length} calls recovered after an unclean stop, ${text(b, "undeliveredCalls")} undelivered`,
  MEDIATIMEOUT: (b) => `${streamText(b)}: no RTP for ${seconds(text(b, "timeoutMs"))}`,
  DRAINED: (b) => `drained: ${text(b, "callsFinished")} calls finished, nothing owed`,
  SIPRECFORWARDSTARTED: (b) => `forward ${text(b, "sink")} → ${text(b, "target") || text(b, "uri")} started`,
  SIPRECFORWARDFAILED: (b) =>
    `forward ${text(b, "sink")} → ${text(b, "target") || text(b, "uri")} failed: ${text(b, "status")} ${text(b, "reason")}`,
  SIPRECFORWARDSTOPPED: (b) => `forward ${text(b, "sink")} stopped (${text(b, "reason")})`,
  ALARM: (b) => `${text(b, "severity")} ${text(b, "code")}: ${text(b, "message")}`,
};

/** One line saying what an event is about, for the page (≤ 160 characters; untrusted text is escaped by the view). */
export function summarizeEvent(event: AppEvent): string {
  const line = (summaries[event.event]?.(event.body) ?? "").replace(/\s+/g, " ").trim();
  return line.length > maxSummaryLength ? `${line.slice(0, maxSummaryLength - 1)}…` : line;
}

/** The last events (DESIGN.md §6: shown on the page), in a fixed-size ring. */
export class RecentEvents {
  readonly #ring: RecentEvent[] = [];
  readonly #capacity: number;

  constructor(capacity: number = recentEventCapacity) {
    this.#capacity = capacity;
  }

  /** Keeps an event (the oldest one goes when the ring is full). */
  add(event: AppEvent): void {
    this.#ring.push({
      time: event.time,
      event: event.event,
      sessionId: event.sessionId,
      summary: summarizeEvent(event),
    });
    if (this.#ring.length > this.#capacity) this.#ring.shift();
  }

  /** The kept events, newest first. */
  list(): RecentEvent[] {
    return this.#ring.toReversed();
  }
}
