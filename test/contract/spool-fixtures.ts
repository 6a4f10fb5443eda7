import type { CallRecord, FrameInput, Spool, StreamRecord } from "../../src/spool/index.ts";
import { FrameKind, GapReason } from "../../src/spool/index.ts";

/** Wall clock of the fixtures' calls, µs (2024-01-01T00:00:00Z). */
export const baseUs = Date.UTC(2024, 0, 1) * 1000;

/** A complete call record with participants and correlation ids; `n` varies ids and times. */
export function callFixture(n: number, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    callId: `0190c0de-0000-7000-8000-${String(n).padStart(12, "0")}`,
    sipCallId: `sip-call-${n}@sbc.example`,
    siprecSessionId: `sess-${n}`,
    correlation: { ucid: `00001${n}`, ciscoGuid: `guid-${n}` },
    source: "192.0.2.10:5060",
    startedUs: baseUs + n * 1_000_000,
    epochUs: 0,
    endedUs: 0,
    state: "live",
    reason: "",
    metadataXml: `<recording xmlns="urn:ietf:params:xml:ns:recording:1"><session>${n}</session></recording>`,
    participants: [
      { participantId: "p1", aor: "sip:1001@pbx.example", name: "Agent Smith", role: "agent" },
      { participantId: "p2", aor: "+15551234567", name: "", role: "customer" },
    ],
    ...overrides,
  };
}

/** A G.711 stream of `callId` on m-line `mlineIndex`. */
export function streamFixture(
  callId: string,
  mlineIndex: number,
): Omit<StreamRecord, "streamId" | "endedUs"> {
  return {
    callId,
    label: String(mlineIndex + 1),
    siprecStreamId: `st-${mlineIndex}`,
    participantId: `p${mlineIndex + 1}`,
    role: mlineIndex === 0 ? "agent" : "customer",
    mlineIndex,
    codec: "PCMU",
    rate: 8000,
    payloadType: 0,
    startedUs: baseUs,
  };
}

/** The `n`-th 20 ms PCMU frame of a stream (n from 0), with a payload that names it. */
export function audioFrame(n: number, payload: Uint8Array = payloadOf(n)): FrameInput {
  return {
    kind: FrameKind.Audio,
    flags: 0,
    gapReason: 0,
    rtpSeq: 1000 + n,
    pos: n * 160,
    captureUs: baseUs + n * 20_000,
    durationSamples: 160,
    payload,
  };
}

/** A packet-loss gap frame covering one 20 ms packet. */
export function gapFrame(n: number): FrameInput {
  return { ...audioFrame(n, new Uint8Array(0)), kind: FrameKind.Gap, gapReason: GapReason.PacketLoss };
}

/** 160 bytes that differ for each `n` and cover 0x00 and 0xff. */
export function payloadOf(n: number): Uint8Array {
  const bytes = new Uint8Array(160);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (n * 7 + i * 13) & 0xff;
  bytes[0] = 0x00;
  bytes[159] = 0xff;
  return bytes;
}

/** Appends frames `from..to-1` (as {@link audioFrame}) and returns their idx. */
export function appendFrames(spool: Spool, streamId: number, from: number, to: number): number[] {
  const idx: number[] = [];
  for (let n = from; n < to; n++) idx.push(spool.appendFrame(streamId, audioFrame(n)));
  return idx;
}

/** A live call with one stream, ready for frames. */
export function callWithStream(spool: Spool, n = 1): { call: CallRecord; stream: StreamRecord } {
  const call = callFixture(n);
  spool.createCall(call);
  return { call, stream: spool.createStream(streamFixture(call.callId, 0)) };
}

/** The `code` of what `fn` throws, or `undefined` if it does not throw. */
export function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? "NO_CODE";
  }
  return undefined;
}
