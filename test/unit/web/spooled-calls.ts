import { createCallExporter } from "../../../src/app/call-export.ts";
import type { SinkUnitStatus } from "../../../src/sinks/index.ts";
import {
  FrameFlags,
  type FrameInput,
  FrameKind,
  GapReason,
  openSqliteSpool,
  type SqliteSpool,
} from "../../../src/spool/index.ts";
import type { CallExporter } from "../../../src/web/index.ts";

/** 2025-03-04T10:00:00.000Z in µs since the Unix epoch. */
export const t0Us = Date.UTC(2025, 2, 4, 10, 0, 0) * 1000;
/** The completed two-stream call. */
export const recordedCallId = "0195a1b2-0000-7000-8000-0000000000a1";
/** A live call without streams yet, started after the recorded one. */
export const liveCallId = "0195a1b2-0000-7000-8000-0000000000a2";

/** A frame of the fixture: capture time follows `pos` at 8 kHz from the call start. */
function frame(pos: number, rtpSeq: number, fill: number, flags = 0): FrameInput {
  return {
    kind: FrameKind.Audio,
    flags,
    gapReason: 0,
    rtpSeq,
    pos,
    captureUs: t0Us + pos * 125,
    durationSamples: 160,
    payload: new Uint8Array(160).fill(fill),
  };
}

function gap(pos: number, rtpSeq: number, durationSamples: number): FrameInput {
  return {
    kind: FrameKind.Gap,
    flags: 0,
    gapReason: GapReason.PacketLoss,
    rtpSeq,
    pos,
    captureUs: t0Us + pos * 125,
    durationSamples,
    payload: new Uint8Array(),
  };
}

/** What the spool holds for the recorded call's streams, as the test expects to read it back. */
export interface SpooledCalls {
  spool: SqliteSpool;
  exporter: CallExporter;
  /** Stream ids of the recorded call: customer (PCMU, m-line 0) and agent (PCMA, m-line 1). */
  streams: { customer: number; agent: number };
  /** Expected WAV data of the customer stream: audio, then silence for the gap and the hole. */
  customerAudio: Uint8Array;
}

/** The sink unit the dispatcher reports for the recorded call: 2.5 s of audio not yet acknowledged. */
export const behindUnit: SinkUnitStatus = {
  sink: "ai",
  callId: recordedCallId,
  unit: "call",
  sessionId: "easp-1",
  segment: 0,
  state: "backoff",
  sentSeq: 40,
  ackedSeq: 12,
  reconnects: 3,
  lastError: "connect ECONNREFUSED",
  backlogMs: 2500,
};

/**
 * A SqliteSpool in memory with a completed call of two streams (PCMU customer with a loss GAP and a
 * timeline hole, PCMA agent half a frame later) and a live call without streams, and the app's
 * exporter over it.
 */
export function spooledCalls(): SpooledCalls {
  const spool = openSqliteSpool({ path: ":memory:" });
  const base = {
    siprecSessionId: "hVpd7YQgRW2nD22h7q60JQ==",
    correlation: { ucid: "00001002161234567890" },
    source: "192.0.2.10:5060",
    endedUs: 0,
    state: "live" as const,
    reason: "",
    metadataXml: "",
  };
  spool.createCall({
    ...base,
    callId: recordedCallId,
    sipCallId: "a84b4c76e66710@sbc.example",
    startedUs: t0Us,
    epochUs: t0Us,
    participants: [
      { participantId: "p-cust", aor: "sip:+15551230000@carrier.example", name: "", role: "customer" },
      { participantId: "p-agent", aor: "sip:4001@pbx.example", name: "Alice Agent", role: "agent" },
    ],
  });
  const stream = (mlineIndex: number, participantId: string) =>
    spool.createStream({
      callId: recordedCallId,
      label: String(mlineIndex + 1),
      siprecStreamId: `s${mlineIndex}`,
      participantId,
      role: mlineIndex === 0 ? "customer" : "agent",
      mlineIndex,
      codec: mlineIndex === 0 ? "PCMU" : "PCMA",
      rate: 8000,
      payloadType: mlineIndex === 0 ? 0 : 8,
      startedUs: t0Us,
    }).streamId;
  const customer = stream(0, "p-cust");
  const agent = stream(1, "p-agent");
  const customerFrames = [
    frame(0, 1000, 0x11, FrameFlags.Marker),
    frame(160, 1001, 0x12),
    frame(320, 1002, 0x13),
    gap(480, 1003, 320),
    frame(800, 1005, 0x15),
    frame(1600, 1006, 0x16, FrameFlags.Discontinuity),
  ];
  for (const f of customerFrames) spool.appendFrame(customer, f);
  for (let i = 0; i < 3; i++) spool.appendFrame(agent, frame(80 + 160 * i, 50 + i, 0x50 + i));
  spool.endStream(customer, t0Us + 300_000);
  spool.endStream(agent, t0Us + 300_000);
  spool.endCall(recordedCallId, "completed", "bye", t0Us + 60_000_000);

  spool.createCall({
    ...base,
    callId: liveCallId,
    sipCallId: "second@sbc.example",
    startedUs: t0Us + 10_000_000,
    epochUs: 0,
    participants: [],
  });

  const silence = (n: number): number[] => new Array<number>(n).fill(0xff);
  const customerAudio = Uint8Array.from([
    ...new Array<number>(160).fill(0x11),
    ...new Array<number>(160).fill(0x12),
    ...new Array<number>(160).fill(0x13),
    ...silence(320),
    ...new Array<number>(160).fill(0x15),
    ...silence(640),
    ...new Array<number>(160).fill(0x16),
  ]);
  const exporter = createCallExporter(spool, {
    status: (callId) => (callId === recordedCallId ? [behindUnit] : []),
  });
  return { spool, exporter, streams: { customer, agent }, customerAudio };
}
