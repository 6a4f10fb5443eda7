import type { MetricsSample } from "../../../src/web/index.ts";

/** A busy appliance: two codecs, two sinks (one backing off), a few SIP failures. */
export function sampleMetrics(): MetricsSample {
  return {
    applianceId: "edge-01",
    version: "0.4.0",
    accepting: true,
    draining: false,
    mqttConnected: true,
    callsActive: 3,
    callsTotal: 1742,
    rtp: [
      { codec: "PCMU", packetsReceived: 8_250_000, packetsLost: 312 },
      { codec: "PCMA", packetsReceived: 1_004_500, packetsLost: 0 },
    ],
    spool: {
      bytes: 734_003_200,
      maxBytes: 21_474_836_480,
      oldestUndeliveredAgeS: 42.5,
      framesDiscarded: 118,
    },
    forwards: [{ sink: "compliance", forwardsByState: { live: 2, owed: 1 }, owedFrames: 1500 }],
    sinks: [
      { sink: "ai", unitsByState: { open: 2, replaying: 1 }, backlogS: 12.4, reconnects: 5 },
      { sink: "archive", unitsByState: { backoff: 3 }, backlogS: 940, reconnects: 61 },
    ],
    sip: {
      responsesByStatus: { "100": 1750, "200": 3612, "488": 3, "503": 5 },
      requestsByMethod: { INVITE: 1760, ACK: 1745, BYE: 1739, OPTIONS: 2880 },
      parseErrors: 2,
    },
    eventOutboxDepth: 7,
  };
}
