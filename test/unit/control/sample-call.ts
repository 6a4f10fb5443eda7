import type { CallRecord, StreamRecord } from "../../../src/spool/index.ts";

/** 2025-03-04T10:00:00.000Z in µs since the Unix epoch. */
export const callStartUs = Date.UTC(2025, 2, 4, 10, 0, 0) * 1000;

/** A two-party contact-centre call as the SRS would store it. */
export function sampleCall(overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    callId: "0195a1b2-0000-7000-8000-00000000c0de",
    sipCallId: "a84b4c76e66710@sbc.example",
    siprecSessionId: "hVpd7YQgRW2nD22h7q60JQ==",
    correlation: { ucid: "00001002161234567890", ciscoGuid: "" },
    source: "192.0.2.10:5060",
    startedUs: callStartUs,
    epochUs: callStartUs + 40_000,
    endedUs: 0,
    state: "live",
    reason: "",
    metadataXml: "",
    participants: [
      { participantId: "p-agent", aor: "sip:4001@pbx.example", name: "Alice Agent", role: "agent" },
      { participantId: "p-cust", aor: "sip:+15551230000@carrier.example", name: "", role: "customer" },
    ],
    ...overrides,
  };
}

/** The stream sent by participant `participantId` of {@link sampleCall}, on m-line `mlineIndex`. */
export function sampleStream(
  mlineIndex: number,
  participantId: string,
  overrides: Partial<StreamRecord> = {},
): StreamRecord {
  return {
    streamId: 100 + mlineIndex,
    callId: "0195a1b2-0000-7000-8000-00000000c0de",
    label: String(mlineIndex + 1),
    siprecStreamId: `s${mlineIndex}`,
    participantId,
    role: "unknown",
    mlineIndex,
    codec: mlineIndex === 0 ? "PCMU" : "PCMA",
    rate: 8000,
    payloadType: mlineIndex === 0 ? 0 : 8,
    startedUs: callStartUs + 20_000,
    endedUs: 0,
    ...overrides,
  };
}
