import { describe, expect, it } from "vitest";
import type { StatusSnapshot } from "../../../src/web/index.ts";
import { renderPage, renderSections } from "../../../src/web/views.ts";
import { liveCall, sampleSnapshot } from "./sample-snapshot.ts";

const nowMs = Date.parse("2025-03-04T10:05:00.000Z");

function withHealth(health: Partial<StatusSnapshot["health"]>, base = sampleSnapshot()): StatusSnapshot {
  return { ...base, health: { ...base.health, ...health } };
}

/** The text of an HTML fragment without its tags. */
function textOf(markup: string): string {
  return markup
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

describe("the health banner", () => {
  it("shows each sink with its state, backlog and last error", () => {
    const snapshot = withHealth({
      sinks: [
        { name: "ai", type: "websocket", state: "connected", active: 2, backlogS: 0, lastError: "" },
        { name: "lake", type: "websocket", state: "replaying", active: 1, backlogS: 95, lastError: "" },
        {
          name: "archive",
          type: "websocket",
          state: "backing-off",
          active: 1,
          backlogS: 12,
          lastError: "connect ECONNREFUSED 127.0.0.1:9",
        },
        { name: "srs2", type: "siprec", state: "failed", active: 1, backlogS: 0, lastError: "403 Forbidden" },
        { name: "idle", type: "siprec", state: "idle", active: 0, backlogS: 0, lastError: "" },
      ],
    });
    const banner = renderSections(snapshot, nowMs).banner;
    const text = textOf(banner);
    expect(text).toContain("Sink ai · websocket connected 2 units active");
    expect(text).toContain("Sink lake · websocket replaying, 1 min 35 s behind");
    expect(text).toContain(
      "Sink archive · websocket BACKING OFF 1 units active · 12 s backlog connect ECONNREFUSED 127.0.0.1:9",
    );
    expect(text).toContain("Sink srs2 · siprec FAILED 1 forwards active 403 Forbidden");
    expect(banner).toContain('class="tile tile-bad" data-tile="sink-archive"');
    expect(banner).toContain('class="tile tile-off" data-tile="sink-idle"');
  });

  it("shows spool use against its cap with the free disk, and turns red above the high-water mark", () => {
    const ok = textOf(renderSections(sampleSnapshot(), nowMs).banner);
    expect(ok).toContain("Spool 0.0 % used 5.0 MiB of 20.0 GiB · 150.0 GiB free disk");
    const full = withHealth({
      spool: { ...sampleSnapshot().health.spool, bytes: 19 * 1024 ** 3, highWater: true },
      accepting: false,
    });
    const banner = renderSections(full, nowMs).banner;
    expect(textOf(banner)).toContain("95.0 % used");
    expect(banner).toContain('class="tile tile-bad" data-tile="spool"');
    expect(textOf(banner)).toContain("REFUSED (503) spool above its high-water mark");
  });

  it("shows the age of the oldest undelivered audio", () => {
    const base = sampleSnapshot();
    const banner = renderSections(
      withHealth({ spool: { ...base.health.spool, oldestUndeliveredAgeS: 125 } }, base),
      nowMs,
    ).banner;
    expect(textOf(banner)).toContain("Oldest undelivered audio 2 min 05 s");
    expect(textOf(renderSections(base, nowMs).banner)).toContain("Oldest undelivered audio none");
  });

  it("says when the appliance drains, and offers to cancel the drain instead of starting one", () => {
    const idle = renderSections(sampleSnapshot(), nowMs, { commands: true });
    expect(idle.actions).toContain('data-command="drain" data-confirm=');
    expect(idle.actions).toContain('data-command="testCall"');
    const draining = renderSections(withHealth({ drain: "draining", accepting: false }), nowMs, {
      commands: true,
    });
    expect(textOf(draining.banner)).toContain(
      "New calls DRAINING (503) refusing new calls; 1 live calls finishing",
    );
    expect(draining.actions).toContain(`data-body='{"cancel":true}'>Cancel drain`);
    expect(renderSections(withHealth({ drain: "drained", accepting: false }), nowMs).banner).toContain(
      "DRAINED (503)",
    );
  });

  it("has no buttons when the commands API is not served", () => {
    expect(renderSections(sampleSnapshot(), nowMs).actions).toBe("");
    expect(renderPage(sampleSnapshot(), nowMs)).not.toContain("<button");
  });
});

describe("the live calls", () => {
  it("give each stream's meter its stream id, so levels events move it in place", () => {
    const live = renderSections(sampleSnapshot(), nowMs).live;
    expect(live).toContain('<meter data-stream="7"');
    expect(live).toContain('<meter data-stream="8"');
    expect(live).toContain('<tr data-call="0195a1b2-0000-7000-8000-00000000beef">');
  });

  it("link the capture pcap only when captures are served, and the audio pcap and call WAV with the calls API", () => {
    const callUrl = "/api/calls/0195a1b2-0000-7000-8000-00000000beef";
    const plain = renderSections(sampleSnapshot(), nowMs).live;
    expect(plain).not.toContain("download");
    const downloads = renderSections(sampleSnapshot(), nowMs, { downloads: true }).live;
    expect(downloads).toContain(`href="${callUrl}.pcap" download data-download="audio-pcap"`);
    expect(downloads).toContain(`href="${callUrl}.wav" download data-download="wav"`);
    expect(downloads).not.toContain("capture.pcap");
    const captures = renderSections(sampleSnapshot(), nowMs, { downloads: true, captures: true }).live;
    expect(captures).toContain(`href="${callUrl}/capture.pcap" download data-download="capture"`);
  });

  it("show the call's SIPREC forwards with their target and owed audio", () => {
    const call = liveCall({
      forwards: [
        {
          sink: "srs2",
          callId: "0195a1b2-0000-7000-8000-00000000beef",
          uri: "sip:srs2.example",
          state: "owed",
          target: "udp:192.0.2.7:5060",
          sipCallId: "",
          packetsSent: 0,
          owedFrames: 1500,
          lastError: "503 <b>Service</b> Unavailable",
        },
      ],
    });
    const live = renderSections(sampleSnapshot([call]), nowMs).live;
    expect(textOf(live)).toContain("owed srs2 SIPREC → udp:192.0.2.7:5060 0 pkts sent, 1500 frames owed");
    expect(live).toContain("503 &lt;b&gt;Service&lt;/b&gt; Unavailable");
  });

  it("render at most 100 rows and count the rest", () => {
    const calls = Array.from({ length: 130 }, (_, i) =>
      liveCall({ callId: `0195a1b2-0000-7000-8000-${String(i).padStart(12, "0")}` }),
    );
    const live = renderSections(sampleSnapshot(calls), nowMs).live;
    expect(live.match(/<tr data-call=/g)).toHaveLength(100);
    expect(textOf(live)).toContain("… and 30 more live calls");
  });

  it("escape untrusted correlation ids, participant names and AORs", () => {
    const call = liveCall({
      correlation: { ucid: "<img src=x onerror=alert(1)>" },
      participants: [
        { participantId: "p1", aor: 'sip:"><script>x</script>', name: "<b>Eve</b>", role: "agent" },
      ],
    });
    const live = renderSections(sampleSnapshot([call]), nowMs).live;
    expect(live).not.toContain("<img");
    expect(live).not.toContain("<script>");
    expect(live).not.toContain("<b>Eve");
    expect(live).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(live).toContain("&lt;b&gt;Eve&lt;/b&gt;");
  });
});

describe("the recent events", () => {
  it("list time, event, call and an escaped summary", () => {
    const snapshot: StatusSnapshot = {
      ...sampleSnapshot(),
      events: [
        {
          time: "2025-03-04T10:04:59.250Z",
          event: "SINKDISCONNECTED",
          sessionId: "0195a1b2-0000-7000-8000-00000000beef",
          summary: "sink ai disconnected: <script>alert(1)</script>",
        },
      ],
    };
    const events = renderSections(snapshot, nowMs).events;
    expect(textOf(events)).toContain("10:04:59 SINKDISCONNECTED 00000000beef");
    expect(events).toContain('class="state state-bad">SINKDISCONNECTED');
    expect(events).not.toContain("<script>");
    expect(events).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("say so when there are none", () => {
    expect(textOf(renderSections({ ...sampleSnapshot(), events: [] }, nowMs).events)).toBe("No events yet.");
  });
});
