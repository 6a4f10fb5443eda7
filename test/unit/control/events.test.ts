import { describe, expect, it } from "vitest";
import {
  alarm,
  drained,
  type EventContext,
  isEventName,
  mediaTimeout,
  recordingPaused,
  recordingResumed,
  sessionCompleted,
  sessionStarted,
  sessionUpdated,
  sinkAlarm,
  sinkCaughtUp,
  sinkConnected,
  sinkDisconnected,
  siprecForwardFailed,
  siprecForwardStarted,
  siprecForwardStopped,
  spoolDiscardedAlarm,
  spoolHighWater,
  spoolRecovered,
  streamStarted,
  streamStopped,
} from "../../../src/control/index.ts";
import type { Clock } from "../../../src/lib/index.ts";
import type { SinkUnitStatus } from "../../../src/sinks/index.ts";
import { callStartUs, sampleCall, sampleStream } from "./sample-call.ts";

const eventUs = callStartUs + 1_234_567;
const fixedClock: Clock = {
  now: () => 0,
  wallUs: () => eventUs,
  setTimeout: () => ({ id: 0 }),
  setInterval: () => ({ id: 0 }),
  clearTimer: () => {},
};
const ctx: EventContext = { applianceId: "edge-01", clock: fixedClock };

const unit: SinkUnitStatus = {
  sink: "ai",
  callId: sampleCall().callId,
  unit: "call",
  sessionId: "easp-7",
  segment: 0,
  state: "open",
  sentSeq: 120,
  ackedSeq: 100,
  reconnects: 2,
  lastError: "",
  backlogMs: 12_345.6,
};

describe("event builders", () => {
  it("stamp appliance id, millisecond UTC time, call id, correlation ids and eventSeq 0", () => {
    const event = sessionStarted(sampleCall(), [], ctx);
    expect(event).toMatchObject({
      event: "SESSIONSTARTED",
      time: "2025-03-04T10:00:01.234Z",
      applianceId: "edge-01",
      sessionId: sampleCall().callId,
      eventSeq: 0,
    });
    expect(event.correlation).toEqual({
      ucid: "00001002161234567890",
      sipCallId: "a84b4c76e66710@sbc.example",
      siprecSessionId: "hVpd7YQgRW2nD22h7q60JQ==",
    });
  });

  it("SESSIONSTARTED carries the source, participants with roles and the streams with their senders", () => {
    const call = sampleCall();
    const body = sessionStarted(call, [sampleStream(0, "p-cust"), sampleStream(1, "p-agent")], ctx).body;
    expect(body.source).toBe("192.0.2.10:5060");
    expect(body.startedAt).toBe("2025-03-04T10:00:00.000Z");
    expect(body.participants.map((p) => [p.participantId, p.role])).toEqual([
      ["p-agent", "agent"],
      ["p-cust", "customer"],
    ]);
    expect(body.streams[0]).toMatchObject({
      label: "1",
      codec: "PCMU",
      payloadType: 0,
      role: "customer",
      participant: { participantId: "p-cust", aor: "sip:+15551230000@carrier.example" },
      endedAt: null,
    });
    expect(body.streams[1]?.participant?.name).toBe("Alice Agent");
  });

  it("SESSIONUPDATED says what triggered it and carries the current participants", () => {
    const event = sessionUpdated(sampleCall(), "reinvite", [sampleStream(0, "p-cust")], ctx);
    expect(event.body.reason).toBe("reinvite");
    expect(event.body.participants).toHaveLength(2);
    expect(event.body.streams[0]?.codec).toBe("PCMU");
  });

  it("STREAMSTARTED names a stream without a known sender with role unknown and participant null", () => {
    const event = streamStarted(sampleCall(), sampleStream(1, "p-nobody"), ctx);
    expect(event.body.stream).toMatchObject({
      label: "2",
      codec: "PCMA",
      participant: null,
      role: "unknown",
    });
  });

  it("STREAMSTOPPED carries the reason, packet counts, loss ratio, frames and duration", () => {
    const stream = sampleStream(0, "p-cust", { endedUs: callStartUs + 20_000 + 61_500_000 });
    const event = streamStopped(
      sampleCall(),
      stream,
      { packetsReceived: 2990, packetsLost: 10, framesSpooled: 3000 },
      "bye",
      ctx,
    );
    expect(event.body).toMatchObject({
      reason: "bye",
      packetsReceived: 2990,
      packetsLost: 10,
      framesSpooled: 3000,
      durationMs: 61_500,
    });
    expect(event.body.lossRatio).toBeCloseTo(10 / 3000);
    expect(event.body.stream.endedAt).toBe("2025-03-04T10:01:01.520Z");
  });

  it("STREAMSTOPPED reports unknown frame counts as null and no loss when nothing was expected", () => {
    const event = streamStopped(
      sampleCall(),
      sampleStream(0, "p-cust"),
      { packetsReceived: 0, packetsLost: 0 },
      "rtp-timeout",
      ctx,
    );
    expect(event.body.framesSpooled).toBeNull();
    expect(event.body.lossRatio).toBe(0);
  });

  it("SESSIONCOMPLETED carries state, reason, duration and totals", () => {
    const call = sampleCall({ state: "completed", reason: "bye", endedUs: callStartUs + 90_000_000 });
    const totals = { streams: 2, packetsReceived: 9000, packetsLost: 3, framesSpooled: 9003 };
    const event = sessionCompleted(call, totals, ctx);
    expect(event.body).toMatchObject({
      state: "completed",
      reason: "bye",
      endedAt: "2025-03-04T10:01:30.000Z",
      durationMs: 90_000,
      totals,
    });
  });

  it("RECORDINGPAUSED and MEDIATIMEOUT name the trigger and the stream", () => {
    expect(
      recordingPaused(sampleCall(), { reason: "sip", trigger: "sdp-inactive", streamIds: [100] }, ctx).body,
    ).toEqual({ reason: "sip", trigger: "sdp-inactive", streamIds: [100] });
    const timeout = mediaTimeout(sampleCall(), sampleStream(0, "p-cust"), 30_000, 0, ctx);
    expect(timeout.body).toMatchObject({ timeoutMs: 30_000, lastPacketAt: null, stream: { streamId: 100 } });
  });

  it("a pause or resume by command says so and carries the command's reason text as note", () => {
    const paused = recordingPaused(sampleCall(), { reason: "command", note: "PCI" }, ctx);
    expect(paused.event).toBe("RECORDINGPAUSED");
    expect(paused.body).toEqual({ reason: "command", trigger: "command", streamIds: [], note: "PCI" });
    const resumed = recordingResumed(sampleCall(), { reason: "command", note: "PCI done" }, ctx);
    expect(resumed.event).toBe("RECORDINGRESUMED");
    expect(resumed.body).toEqual({ reason: "command", trigger: "command", streamIds: [], note: "PCI done" });
  });

  it("a pause by the SRC carries no note", () => {
    const body = recordingResumed(
      sampleCall(),
      { reason: "sip", trigger: "sdp", streamIds: [101] },
      ctx,
    ).body;
    expect(body).toStrictEqual({ reason: "sip", trigger: "sdp", streamIds: [101] });
  });

  it("SESSIONSTARTED and SESSIONUPDATED name the sinks the call is routed to, none by default", () => {
    expect(sessionStarted(sampleCall(), [], ctx).body.sinks).toEqual([]);
    expect(sessionStarted(sampleCall(), [], ctx, ["ai", "archive"]).body.sinks).toEqual(["ai", "archive"]);
    const routed = sessionUpdated(sampleCall(), "routing", [sampleStream(0, "p-cust")], ctx, ["archive"]);
    expect(routed.body).toMatchObject({ reason: "routing", sinks: ["archive"] });
    expect(sessionUpdated(sampleCall(), "metadata", [], ctx).body.sinks).toEqual([]);
  });

  it("SIPRECFORWARD events name the sink, the SRS, the target, our Call-ID, the replay span and echo the reference", () => {
    const input = {
      sink: "compliance",
      callId: sampleCall().callId,
      uri: "sips:srs.example.com",
      target: "tls:192.0.2.7:5061",
      sipCallId: "fw-1@edge",
      reference: { ticket: 7 },
    };
    expect(siprecForwardStarted(input, sampleCall(), ctx)).toMatchObject({
      event: "SIPRECFORWARDSTARTED",
      sessionId: sampleCall().callId,
      body: { sink: "compliance", target: "tls:192.0.2.7:5061", replay: null, reference: { ticket: 7 } },
    });
    expect(
      siprecForwardFailed({ ...input, status: 503, reason: "Service Unavailable" }, sampleCall(), ctx).body,
    ).toMatchObject({
      status: 503,
      reason: "Service Unavailable",
    });
    const replay = {
      originalStart: "2025-03-04T10:00:00.000Z",
      spanStart: "2025-03-04T10:00:00.000Z",
      spanEnd: "2025-03-04T10:01:00.000Z",
    };
    expect(siprecForwardStopped({ ...input, replay, reason: "call-ended" }, undefined, ctx)).toMatchObject({
      sessionId: input.callId,
      body: { reason: "call-ended", replay },
    });
    expect(isEventName("SIPRECFORWARDFAILED")).toBe(true);
  });

  it("DRAINED is appliance-level and says when the drain completed and how many calls it waited for", () => {
    const event = drained({ callsFinished: 3 }, ctx);
    expect(event).toMatchObject({
      event: "DRAINED",
      sessionId: "",
      correlation: {},
      applianceId: "edge-01",
      body: { drainedAt: "2025-03-04T10:00:01.234Z", callsFinished: 3 },
    });
    const at = drained({ callsFinished: 0, drainedAtUs: callStartUs }, ctx);
    expect(at.body.drainedAt).toBe("2025-03-04T10:00:00.000Z");
    expect(isEventName("DRAINED")).toBe(true);
  });

  it("sink events carry the unit's delivery state and the call's correlation when known", () => {
    const connected = sinkConnected(unit, sampleCall(), ctx);
    expect(connected.event).toBe("SINKCONNECTED");
    expect(connected.sessionId).toBe(unit.callId);
    expect(connected.correlation.ucid).toBe("00001002161234567890");
    expect(connected.body).toMatchObject({
      sink: "ai",
      sinkSessionId: "easp-7",
      unackedItems: 20,
      reconnects: 2,
    });
    const lost = sinkDisconnected({ ...unit, state: "backoff" }, undefined, "1006 abnormal closure", ctx);
    expect(lost.correlation).toEqual({});
    expect(lost.body).toMatchObject({ state: "backoff", reason: "1006 abnormal closure" });
  });

  it("SINKDISCONNECTED says how many seconds of audio the unit still owes", () => {
    const lost = sinkDisconnected({ ...unit, state: "backoff" }, sampleCall(), "receiver gone", ctx);
    expect(lost.body.backlogSeconds).toBe(12.346);
  });

  it("SINKCAUGHTUP names the unit and how long its outage lasted, or null when unknown", () => {
    const back = sinkCaughtUp({ ...unit, backlogMs: 0 }, sampleCall(), 31_500, ctx);
    expect(back.event).toBe("SINKCAUGHTUP");
    expect(back.body).toMatchObject({ sink: "ai", unit: "call", segment: 0, outageMs: 31_500 });
    expect(sinkCaughtUp(unit, undefined, null, ctx).body.outageMs).toBeNull();
  });

  it("a sink ALARM is the call's event with the code, the message and the unit in details", () => {
    const event = sinkAlarm(
      { code: "SINK_ACK_REGRESSION", message: "receiver lost acknowledged audio" },
      unit,
      sampleCall(),
      ctx,
    );
    expect(event).toMatchObject({
      event: "ALARM",
      sessionId: unit.callId,
      body: {
        code: "SINK_ACK_REGRESSION",
        severity: "warning",
        message: "receiver lost acknowledged audio",
        details: { sink: "ai", unit: "call", sinkSessionId: "easp-7", backlogSeconds: 12.346 },
      },
    });
  });

  it("SPOOLHIGHWATER carries the spool level on both transitions, appliance-level", () => {
    const level = {
      bytes: 19e9,
      maxBytes: 20e9,
      freeDiskBytes: 3e9,
      minFreeDisk: 2e9,
      highWater: true,
      full: false,
      path: "/var/lib/siprec-edge/spool.db",
    };
    const high = spoolHighWater(level, ctx);
    expect(high).toMatchObject({ event: "SPOOLHIGHWATER", sessionId: "", correlation: {} });
    expect(high.body).toEqual({
      bytes: 19e9,
      maxBytes: 20e9,
      freeDiskBytes: 3e9,
      minFreeDisk: 2e9,
      highWater: true,
      full: false,
    });
    expect(spoolHighWater({ ...level, bytes: 1e9, highWater: false }, ctx).body.highWater).toBe(false);
  });

  it("SPOOLRECOVERED lists the calls closed as recovered after an unclean stop", () => {
    const recoveredCalls = [
      { callId: "c1", sipCallId: "s1@sbc", frames: 512, startedAt: "2025-03-04T10:00:00.000Z" },
    ];
    const event = spoolRecovered({ recoveredCalls, undeliveredCalls: 3 }, ctx);
    expect(event).toMatchObject({ event: "SPOOLRECOVERED", sessionId: "" });
    expect(event.body).toEqual({ recoveredCalls, undeliveredCalls: 3 });
  });

  it("alarms default to warning, and DISCARDED audio is a critical SPOOL_DISCARDED alarm", () => {
    const fault = alarm({ code: "SIP_LISTEN_FAILED", message: "port 5060 in use" }, undefined, ctx);
    expect(fault).toMatchObject({
      event: "ALARM",
      sessionId: "",
      body: { code: "SIP_LISTEN_FAILED", severity: "warning", details: {} },
    });
    const lost = spoolDiscardedAlarm({ frames: 250, calls: ["c1", "c2"] }, ctx);
    expect(lost.body).toMatchObject({
      code: "SPOOL_DISCARDED",
      severity: "critical",
      details: { frames: 250, calls: ["c1", "c2"] },
    });
    expect(lost.body.message).toContain("250 frames");
  });

  it("builds plain JSON that survives a round trip unchanged", () => {
    const event = sessionStarted(sampleCall(), [sampleStream(0, "p-cust")], ctx);
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
  });
});
