import type { CallStatus, StatusSnapshot } from "../../../src/web/index.ts";

/** A live two-party call with one interleaved sink unit. */
export function liveCall(overrides: Partial<CallStatus> = {}): CallStatus {
  return {
    callId: "0195a1b2-0000-7000-8000-00000000beef",
    sipCallId: "f81d4fae-7dec@sbc.example",
    state: "live",
    reason: "",
    startedAt: "2025-03-04T10:00:00.000Z",
    endedAt: null,
    source: "192.0.2.10:5060",
    correlation: { ucid: "00001002161234567890", siprecSessionId: "hVpd7YQgRW2nD22h7q60JQ==" },
    participants: [
      { participantId: "p-agent", aor: "sip:4001@pbx.example", name: "Alice Agent", role: "agent" },
      { participantId: "p-cust", aor: "sip:+15551230000@carrier.example", name: "", role: "customer" },
    ],
    streams: [
      {
        streamId: 7,
        label: "1",
        codec: "PCMU",
        participantId: "p-cust",
        role: "customer",
        packetsReceived: 1500,
        packetsLost: 3,
        packetsInvalid: 0,
        jitterMs: 2.5,
        level: 8000,
        framesSpooled: 1503,
      },
      {
        streamId: 8,
        label: "2",
        codec: "PCMA",
        participantId: "p-agent",
        role: "agent",
        packetsReceived: 1498,
        packetsLost: 0,
        packetsInvalid: 0,
        jitterMs: 1.25,
        level: 0,
        framesSpooled: 1498,
      },
    ],
    sinks: [
      {
        sink: "ai",
        callId: "0195a1b2-0000-7000-8000-00000000beef",
        unit: "call",
        sessionId: "easp-1",
        segment: 0,
        state: "open",
        sentSeq: 300,
        ackedSeq: 298,
        reconnects: 1,
        lastError: "",
        backlogMs: 40,
      },
    ],
    forwards: [],
    ...overrides,
  };
}

/** A healthy appliance with one live call and one completed call. */
export function sampleSnapshot(live: CallStatus[] = [liveCall()]): StatusSnapshot {
  return {
    applianceId: "edge-01",
    version: "1.2.3",
    startedAt: "2025-03-04T09:00:00.000Z",
    uptimeS: 3725,
    health: {
      sip: { listening: ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"] },
      mqtt: { configured: true, connected: true },
      spool: {
        path: "/var/lib/siprec-edge/spool.db",
        bytes: 5 * 1024 * 1024,
        framesPending: 12,
        maxBytes: 20 * 1024 ** 3,
        freeDiskBytes: 150 * 1024 ** 3,
        highWater: false,
        oldestUndeliveredAgeS: 0,
      },
      sinks: [
        { name: "ai", type: "websocket", state: "connected", active: 1, backlogS: 0.04, lastError: "" },
        { name: "srs2", type: "siprec", state: "idle", active: 0, backlogS: 0, lastError: "" },
      ],
      drain: "off",
      accepting: true,
    },
    calls: {
      live,
      recent: [
        liveCall({
          callId: "0195a1b2-0000-7000-8000-0000000000aa",
          state: "completed",
          reason: "bye",
          endedAt: "2025-03-04T09:31:00.000Z",
          startedAt: "2025-03-04T09:30:00.000Z",
          sinks: [],
          forwards: [],
        }),
      ],
    },
    events: [
      {
        time: "2025-03-04T10:00:00.120Z",
        event: "SESSIONSTARTED",
        sessionId: "0195a1b2-0000-7000-8000-00000000beef",
        summary:
          "from 192.0.2.10:5060, 2 streams; agent Alice Agent, customer sip:+15551230000@carrier.example; sinks ai",
      },
    ],
    counters: { sip_invites_total: 2, sip_parse_errors_total: 0 },
  };
}
