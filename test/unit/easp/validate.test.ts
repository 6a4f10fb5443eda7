import { describe, expect, it } from "vitest";
import {
  checkRecordInvariants,
  classifySeq,
  newStreamTrack,
  RecordFlags,
  type RecordHeader,
  RecordKind,
  type StreamDesc,
} from "../../../src/easp/index.ts";

const stereo: StreamDesc = {
  streamId: 1,
  label: "mixed",
  codec: "L16",
  rate: 8000,
  channels: 2,
  channelMap: [],
  firstPos: 0,
  clock: "arrival",
  recordMs: 20,
};

function record(overrides: Partial<RecordHeader>): RecordHeader {
  return {
    kind: RecordKind.Audio,
    flags: 0,
    maskOrReason: 3,
    streamId: 1,
    seq: 1,
    pos: 0,
    captureUs: 1_000_000,
    durationSamples: 160,
    payloadLen: 640,
    ...overrides,
  };
}

describe("EASP/1 invariants", () => {
  it("accepts records that tile the timeline and advances the stream past them", () => {
    const track = newStreamTrack();
    checkRecordInvariants(record({}), stereo, track);
    checkRecordInvariants(record({ seq: 2, pos: 160, captureUs: 1_020_000 }), stereo, track);
    checkRecordInvariants(
      record({ seq: 3, kind: RecordKind.Gap, pos: 320, payloadLen: 0, captureUs: 1_040_000 }),
      stereo,
      track,
    );
    expect(track).toEqual({ started: true, nextPos: 480, lastCaptureUs: 1_040_000 });
  });

  it.each([
    { name: "a hole in the timeline", next: { pos: 480 }, code: "EASP_POS_MISMATCH" },
    { name: "an overlap", next: { pos: 100 }, code: "EASP_POS_MISMATCH" },
    { name: "a capture time going back", next: { captureUs: 999_999 }, code: "EASP_CAPTURE_TIME_REGRESSION" },
    { name: "a payload of the wrong size", next: { payloadLen: 320 }, code: "EASP_PAYLOAD_LENGTH" },
    { name: "another stream's record", next: { streamId: 2 }, code: "EASP_UNKNOWN_STREAM" },
  ])("rejects $name with $code", ({ next, code }) => {
    const track = newStreamTrack();
    checkRecordInvariants(record({}), stereo, track);
    expect(() =>
      checkRecordInvariants(record({ seq: 2, pos: 160, captureUs: 1_020_000, ...next }), stereo, track),
    ).toThrow(expect.objectContaining({ code, closeCode: 4000 }));
  });

  it("lets a DISCONTINUITY record re-anchor pos and capture time", () => {
    const track = newStreamTrack();
    checkRecordInvariants(record({}), stereo, track);
    const jump = record({ seq: 2, pos: 8000, captureUs: 5, flags: RecordFlags.Discontinuity });
    expect(() => checkRecordInvariants(jump, stereo, track)).not.toThrow();
    expect(track.nextPos).toBe(8160);
  });

  it("classifies seqs as next, duplicate or gap", () => {
    expect(classifySeq(5, 5)).toBe("next");
    expect(classifySeq(3, 5)).toBe("duplicate");
    expect(classifySeq(7, 5)).toBe("gap");
  });
});
