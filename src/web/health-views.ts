import { formatBytes } from "../lib/index.ts";
import { formatDuration } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import type { SinkHealth, StatusSnapshot } from "./status-types.ts";

/** Colour of a banner tile: fine, needs a look, broken, not in use. */
export type Tone = "ok" | "warn" | "bad" | "off";

/** Spool use from which the tile turns amber, percent of `spool.max_bytes`. */
const spoolWarnPercent = 70;

function tile(tone: Tone, title: string, value: string, detail: SafeHtml | string, id = ""): SafeHtml {
  return html`<div class="tile tile-${tone}"${id ? html` data-tile="${id}"` : ""}><div class="tile-title">${title}</div>
<div class="tile-value">${value}</div><div class="tile-detail">${detail}</div></div>`;
}

function callsTile(s: StatusSnapshot): SafeHtml {
  const live = s.calls.live.length;
  const { drain, accepting } = s.health;
  if (drain === "draining") {
    return tile(
      "bad",
      "New calls",
      "DRAINING (503)",
      `refusing new calls; ${live} live calls finishing`,
      "calls",
    );
  }
  if (drain === "drained") {
    return tile(
      "bad",
      "New calls",
      "DRAINED (503)",
      "no live call, every sink delivered: safe to stop",
      "calls",
    );
  }
  if (!accepting) {
    const why = s.health.spool.highWater
      ? "spool above its high-water mark"
      : "INVITE and OPTIONS answered 503";
    return tile("bad", "New calls", "REFUSED (503)", why, "calls");
  }
  return tile("ok", "New calls", "accepting", `${live} live`, "calls");
}

/** Spool use as a percentage of its cap, one decimal. */
export function spoolPercent(bytes: number, maxBytes: number): number {
  return maxBytes > 0 ? Math.round((bytes / maxBytes) * 1000) / 10 : 0;
}

function spoolTile(s: StatusSnapshot): SafeHtml {
  const spool = s.health.spool;
  const percent = spoolPercent(spool.bytes, spool.maxBytes);
  const tone: Tone = spool.highWater ? "bad" : percent >= spoolWarnPercent ? "warn" : "ok";
  return tile(
    tone,
    "Spool",
    `${percent.toFixed(1)} % used`,
    html`${formatBytes(spool.bytes)} of ${formatBytes(spool.maxBytes)} · ${formatBytes(spool.freeDiskBytes)} free disk
<div class="sub mono">${spool.path}</div>`,
    "spool",
  );
}

function undeliveredTile(s: StatusSnapshot): SafeHtml {
  const ageS = s.health.spool.oldestUndeliveredAgeS;
  if (ageS <= 0)
    return tile("ok", "Oldest undelivered audio", "none", "every sink has everything", "undelivered");
  const troubled = s.health.sinks.some((k) => k.state === "backing-off" || k.state === "failed");
  return tile(
    troubled ? "warn" : "ok",
    "Oldest undelivered audio",
    formatDuration(ageS * 1000),
    troubled ? "a sink is behind: audio waits in the spool" : "live calls still streaming",
    "undelivered",
  );
}

const sinkTones: Record<SinkHealth["state"], Tone> = {
  connected: "ok",
  connecting: "warn",
  replaying: "warn",
  "backing-off": "bad",
  failed: "bad",
  idle: "off",
};

function sinkValue(sink: SinkHealth): string {
  switch (sink.state) {
    case "replaying":
      return `replaying, ${formatDuration(sink.backlogS * 1000)} behind`;
    case "backing-off":
      return "BACKING OFF";
    case "failed":
      return "FAILED";
    default:
      return sink.state;
  }
}

function sinkTile(sink: SinkHealth): SafeHtml {
  const what = sink.type === "siprec" ? "forwards" : "units";
  const backlog = sink.backlogS >= 1 ? ` · ${formatDuration(sink.backlogS * 1000)} backlog` : "";
  return tile(
    sinkTones[sink.state],
    `Sink ${sink.name} · ${sink.type}`,
    sinkValue(sink),
    html`${sink.active} ${what} active${backlog}${sink.lastError ? html`<div class="error">${sink.lastError}</div>` : false}`,
    `sink-${sink.name}`,
  );
}

/** The health banner: new calls (accepting / draining), SIP, MQTT, spool, oldest undelivered audio, one tile per sink. */
export function renderBanner(s: StatusSnapshot): SafeHtml {
  const { sip, mqtt } = s.health;
  const mqttTone: Tone = !mqtt.configured ? "off" : mqtt.connected ? "ok" : "bad";
  const mqttValue = !mqtt.configured ? "not configured" : mqtt.connected ? "connected" : "DISCONNECTED";
  return html`${callsTile(s)}
${tile(
  sip.listening.length > 0 ? "ok" : "bad",
  "SIP",
  sip.listening.length > 0 ? "listening" : "NOT LISTENING",
  sip.listening.join(", ") || "no SIP listener is up",
  "sip",
)}
${tile(mqttTone, "MQTT broker", mqttValue, mqtt.configured ? "events and status" : "events are logged only", "mqtt")}
${spoolTile(s)}
${undeliveredTile(s)}
${s.health.sinks.map(sinkTile)}`;
}

/**
 * The command buttons (run through `POST /api/commands/<name>` by the page script): a test call
 * to the appliance itself, and drain (with a confirmation) or cancel drain.
 */
export function renderActions(s: StatusSnapshot): SafeHtml {
  const drain =
    s.health.drain === "off"
      ? html`<button type="button" class="danger" data-command="drain" data-confirm="Drain this appliance? New calls get 503 until the drain is cancelled; live calls record to their end.">Drain…</button>`
      : html`<button type="button" data-command="drain" data-body='{"cancel":true}'>Cancel drain</button>`;
  return html`<button type="button" data-command="testCall" title="simulate-call to this appliance's own SIP listener with built-in speech">Place test call (10 s)</button>
${drain}`;
}
