import { describe, expect, it } from "vitest";
import {
  EaspProtocolError,
  isDurableType,
  isoFromMicros,
  microsFromIso,
  type OpenMessage,
  parseClientMessage,
  parseServerMessage,
} from "../../../src/easp/index.ts";

const open: OpenMessage = {
  type: "open",
  v: 1,
  sessionId: "0190a6f0-0000-7000-8000-000000000001",
  resume: false,
  nextSeq: 1,
  callId: "0190a6f0-0000-7000-8000-0000000000aa",
  segment: 0,
  continuationOf: null,
  callEpoch: "2025-01-01T00:00:00.000000Z",
  mode: "per-participant",
  recording: {
    siprecSessionId: "abc",
    sipCallId: "call@sbc",
    src: "192.0.2.1:5060",
    startTime: "2025-01-01T00:00:00.000000Z",
  },
  participants: [{ participantId: "p1", aor: "sip:alice@example.com", name: "Alice", role: "customer" }],
  streams: [
    {
      streamId: 7,
      label: "1",
      codec: "PCMU",
      rate: 8000,
      channels: 1,
      channelMap: [{ channel: 0, participantId: "p1", siprecStreamId: "s1", label: "1" }],
      firstPos: 0,
      clock: "arrival",
      recordMs: 20,
    },
  ],
  appliance: { id: "edge-01", version: "0.1.0", clock: { sync: "ntp" } },
  capabilities: { maxMessageBytes: 65536, replay: true },
};

describe("EASP/1 JSON messages", () => {
  it("parses an open message as sent", () => {
    expect(parseClientMessage(JSON.stringify(open))).toEqual(open);
  });

  it("ignores unknown fields (EASP.md §4) instead of failing", () => {
    const parsed = parseServerMessage(JSON.stringify({ type: "ack", v: 1, seq: 42, vendorHint: "x" }));
    expect(parsed).toEqual({ type: "ack", v: 1, seq: 42 });
  });

  it("parses durable items with their seq", () => {
    const end = {
      type: "stream.end",
      v: 1,
      seq: 9,
      streamId: 7,
      endPos: 800,
      endCaptureTime: 1,
      reason: "bye",
    };
    expect(parseClientMessage(JSON.stringify(end))).toEqual(end);
    expect(isDurableType("stream.end")).toBe(true);
    expect(isDurableType("sync")).toBe(false);
  });

  it("returns null for a message type this version does not know", () => {
    expect(parseServerMessage('{"type":"transcript.partial","v":1}')).toBeNull();
    expect(parseClientMessage('{"type":"hello","v":1}')).toBeNull();
  });

  it.each([
    { name: "text that is not JSON", text: "{nope" },
    { name: "a message without type", text: '{"v":1}' },
    { name: "version 2", text: '{"type":"ack","v":2,"seq":1}' },
    { name: "a negative seq", text: '{"type":"ack","v":1,"seq":-1}' },
    { name: "a fractional nextSeq", text: '{"type":"opened","v":1,"sessionId":"s","nextSeq":1.5}' },
  ])("rejects $name as EASP_MESSAGE_MALFORMED", ({ text }) => {
    expect(() => parseServerMessage(text)).toThrow(EaspProtocolError);
    expect(() => parseServerMessage(text)).toThrow(
      expect.objectContaining({ code: "EASP_MESSAGE_MALFORMED" }),
    );
  });

  it("names the bad field of an open message", () => {
    const bad = { ...open, streams: [{ ...open.streams[0], codec: "G729" }] };
    expect(() => parseClientMessage(JSON.stringify(bad))).toThrow(/open: streams\.0\.codec/);
  });

  it("writes capture times as ISO-8601 with microseconds and reads them back", () => {
    const us = 1_735_689_600_123_456;
    expect(isoFromMicros(us)).toBe("2025-01-01T00:00:00.123456Z");
    expect(microsFromIso(isoFromMicros(us))).toBe(us);
    expect(microsFromIso("2025-01-01T00:00:00.5Z")).toBe(1_735_689_600_500_000);
  });
});
