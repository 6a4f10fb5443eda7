import { describe, expect, it } from "vitest";
import {
  deliveringCallIds,
  oldestUndeliveredAgeS,
  oldestUndeliveredUs,
  sinkHealth,
} from "../../../src/app/sink-health.ts";
import type { ForwardStatus, SinkUnitStatus } from "../../../src/sinks/index.ts";

function unit(overrides: Partial<SinkUnitStatus>): SinkUnitStatus {
  return {
    sink: "ai",
    callId: "call-1",
    unit: "call",
    sessionId: "easp-1",
    segment: 0,
    state: "open",
    sentSeq: 10,
    ackedSeq: 10,
    reconnects: 0,
    lastError: "",
    backlogMs: 0,
    ...overrides,
  };
}

function forward(overrides: Partial<ForwardStatus>): ForwardStatus {
  return {
    sink: "srs2",
    callId: "call-1",
    uri: "sip:srs2.example",
    state: "live",
    target: "udp:192.0.2.7:5060",
    sipCallId: "fwd-1",
    packetsSent: 100,
    owedFrames: 0,
    lastError: "",
    ...overrides,
  };
}

const configured = [
  { name: "ai", type: "websocket" as const },
  { name: "srs2", type: "siprec" as const },
];

describe("sinkHealth", () => {
  it("lists every configured sink, idle when it has nothing to deliver", () => {
    expect(sinkHealth(configured, [], [])).toEqual([
      { name: "ai", type: "websocket", state: "idle", active: 0, backlogS: 0, lastError: "" },
      { name: "srs2", type: "siprec", state: "idle", active: 0, backlogS: 0, lastError: "" },
    ]);
  });

  it("reports a sink connected while its units are open, with their summed backlog", () => {
    const [ai] = sinkHealth(configured, [unit({ backlogMs: 40 }), unit({ unit: "8", backlogMs: 60 })], []);
    expect(ai).toMatchObject({ state: "connected", active: 2, backlogS: 0.1 });
  });

  it("takes the worst unit's state and keeps the error of the troubled unit", () => {
    const units = [
      unit({}),
      unit({ unit: "8", state: "replaying", backlogMs: 12_000 }),
      unit({ unit: "9", state: "backoff", lastError: "connect ECONNREFUSED", backlogMs: 3000 }),
    ];
    expect(sinkHealth(configured, units, [])[0]).toMatchObject({
      state: "backing-off",
      backlogS: 15,
      lastError: "connect ECONNREFUSED",
    });
    expect(sinkHealth(configured, [...units, unit({ unit: "10", state: "failed" })], [])[0]?.state).toBe(
      "failed",
    );
    expect(sinkHealth(configured, [unit({ state: "circuit-open" })], [])[0]?.state).toBe("backing-off");
    expect(sinkHealth(configured, [unit({ state: "replaying", backlogMs: 9000 })], [])[0]).toMatchObject({
      state: "replaying",
      backlogS: 9,
    });
  });

  it("derives a SIPREC sink's state from its forwards: owed audio is backing off, counted at 20 ms a frame", () => {
    expect(sinkHealth(configured, [], [forward({})])[1]).toMatchObject({ state: "connected", active: 1 });
    expect(
      sinkHealth(
        configured,
        [],
        [forward({ state: "owed", owedFrames: 500, lastError: "503 Service Unavailable" })],
      )[1],
    ).toMatchObject({ state: "backing-off", backlogS: 10, lastError: "503 Service Unavailable" });
    expect(sinkHealth(configured, [], [forward({ state: "done" })])[1]).toMatchObject({
      state: "idle",
      active: 0,
    });
  });

  it("lists a sink that is no longer configured but still delivers", () => {
    const health = sinkHealth(configured, [unit({ sink: "old", state: "connecting" })], []);
    expect(health.map((h) => [h.name, h.state])).toEqual([
      ["ai", "idle"],
      ["srs2", "idle"],
      ["old", "connecting"],
    ]);
  });
});

describe("oldest undelivered audio", () => {
  const started: Record<string, number> = { a: 5_000_000, b: 2_000_000, c: 1_000_000 };
  const startedUsOf = (callId: string): number => started[callId] ?? 0;

  it("is the start of the oldest call a unit still owes audio to, or 0", () => {
    expect(oldestUndeliveredUs([], startedUsOf)).toBe(0);
    const units = [
      unit({ callId: "a", backlogMs: 100 }),
      unit({ callId: "b", state: "connecting" }),
      unit({ callId: "c", state: "done", backlogMs: 0 }),
      unit({ callId: "c", state: "open", backlogMs: 0 }),
    ];
    expect(oldestUndeliveredUs(units, startedUsOf)).toBe(2_000_000);
  });

  it("ages in seconds, 0 when nothing is owed", () => {
    expect(oldestUndeliveredAgeS(2_000_000, 5_500_000)).toBe(3.5);
    expect(oldestUndeliveredAgeS(0, 5_500_000)).toBe(0);
  });

  it("follows live calls and calls a sink still delivers", () => {
    expect([...deliveringCallIds(["a"], [unit({ callId: "b" }), unit({ callId: "a" })])]).toEqual(["a", "b"]);
  });
});
