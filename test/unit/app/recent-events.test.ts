import { describe, expect, it } from "vitest";
import { RecentEvents, summarizeEvent } from "../../../src/app/recent-events.ts";
import type { AppEvent } from "../../../src/control/index.ts";

function event(name: AppEvent["event"], body: Record<string, unknown>, sessionId = "call-1"): AppEvent {
  return {
    event: name,
    time: "2025-03-04T10:00:00.000Z",
    applianceId: "edge-01",
    sessionId,
    correlation: {},
    eventSeq: 0,
    body,
  };
}

describe("summarizeEvent", () => {
  it("says who a call records, from where, and to which sinks", () => {
    const line = summarizeEvent(
      event("SESSIONSTARTED", {
        source: "192.0.2.10:5060",
        streams: [{}, {}],
        participants: [
          { role: "agent", name: "Alice", aor: "sip:4001@pbx" },
          { role: "customer", name: "", aor: "sip:+1555@carrier" },
        ],
        sinks: ["ai"],
      }),
    );
    expect(line).toBe("from 192.0.2.10:5060, 2 streams; agent Alice, customer sip:+1555@carrier; sinks ai");
  });

  it("gives a stream's counters and why it stopped", () => {
    const line = summarizeEvent(
      event("STREAMSTOPPED", {
        stream: { label: "1", codec: "PCMU", role: "customer" },
        reason: "bye",
        packetsReceived: 600,
        packetsLost: 2,
      }),
    );
    expect(line).toBe("stream 1 PCMU (customer) stopped (bye): 600 packets, 2 lost");
  });

  it("says why a sink disconnected and how much it owes", () => {
    const line = summarizeEvent(
      event("SINKDISCONNECTED", { sink: "ai", unit: "7", reason: "closed 1006", backlogSeconds: 2.5 }),
    );
    expect(line).toBe("sink ai #7 disconnected: closed 1006; 2.5 s owed");
  });

  it("keeps one line of at most 160 characters, whatever the network sent", () => {
    const line = summarizeEvent(
      event("ALARM", { severity: "major", code: "SINK_REJECTED", message: `line\nbreak ${"x".repeat(300)}` }),
    );
    expect(line).not.toContain("\n");
    expect(line.length).toBe(160);
    expect(line.endsWith("…")).toBe(true);
  });

  it("summarizes every event, even one whose body lacks the expected fields", () => {
    const names: AppEvent["event"][] = [
      "SESSIONSTARTED",
      "SESSIONUPDATED",
      "STREAMSTARTED",
      "STREAMSTOPPED",
      "SESSIONCOMPLETED",
      "SINKCONNECTED",
      "SINKDISCONNECTED",
      "SINKCAUGHTUP",
      "RECORDINGPAUSED",
      "RECORDINGRESUMED",
      "SPOOLHIGHWATER",
      "SPOOLRECOVERED",
      "MEDIATIMEOUT",
      "DRAINED",
      "SIPRECFORWARDSTARTED",
      "SIPRECFORWARDFAILED",
      "SIPRECFORWARDSTOPPED",
      "ALARM",
    ];
    for (const name of names) expect(summarizeEvent(event(name, {})), name).not.toBe("");
  });
});

describe("RecentEvents", () => {
  it("lists the newest first and forgets the oldest beyond its capacity", () => {
    const ring = new RecentEvents(3);
    for (const id of ["a", "b", "c", "d"]) ring.add(event("DRAINED", { callsFinished: 0 }, id));
    expect(ring.list().map((e) => e.sessionId)).toEqual(["d", "c", "b"]);
    expect(ring.list()[0]).toEqual({
      time: "2025-03-04T10:00:00.000Z",
      event: "DRAINED",
      sessionId: "d",
      summary: "drained: 0 calls finished, nothing owed",
    });
  });
});
