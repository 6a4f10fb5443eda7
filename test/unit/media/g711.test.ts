import { alaw, mulaw } from "alawmulaw";
import { describe, expect, it } from "vitest";
import { decodeG711Into, encodeG711, transcodeG711 } from "../../../src/media/index.ts";

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

describe("G.711", () => {
  it.each([
    ["PCMU", mulaw],
    ["PCMA", alaw],
  ] as const)("decodes every %s byte as alawmulaw does", (codec, law) => {
    const out = new Int16Array(300);
    expect(decodeG711Into(codec, allBytes, out)).toBe(256);
    expect([...out.subarray(0, 256)]).toEqual([...law.decode(allBytes)]);
  });

  it("refuses to decode into a buffer that is too short", () => {
    expect(() => decodeG711Into("PCMU", allBytes, new Int16Array(255))).toThrow(RangeError);
  });

  it("encodes linear samples as alawmulaw does", () => {
    const samples = Int16Array.from({ length: 512 }, (_, i) => (i - 256) * 127);
    expect([...encodeG711("PCMU", samples)]).toEqual([...mulaw.encode(samples)]);
    expect([...encodeG711("PCMA", samples)]).toEqual([...alaw.encode(samples)]);
  });

  it("transcodes PCMU↔PCMA through the linear value", () => {
    expect([...transcodeG711("PCMU", "PCMA", allBytes)]).toEqual([...alaw.encode(mulaw.decode(allBytes))]);
    expect([...transcodeG711("PCMA", "PCMU", allBytes)]).toEqual([...mulaw.encode(alaw.decode(allBytes))]);
  });

  it("keeps speech-level audio within one quantisation step over a PCMA → PCMU → PCMA round trip", () => {
    const back = transcodeG711("PCMU", "PCMA", transcodeG711("PCMA", "PCMU", allBytes));
    const original = alaw.decode(allBytes);
    const roundTrip = alaw.decode(back);
    for (let i = 0; i < 256; i++) {
      const a = original[i] ?? 0;
      const b = roundTrip[i] ?? 0;
      expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.max(16, Math.abs(a) / 16));
    }
  });

  it("returns a copy when both laws are the same", () => {
    const copy = transcodeG711("PCMU", "PCMU", allBytes);
    expect(copy).not.toBe(allBytes);
    expect([...copy]).toEqual([...allBytes]);
  });
});
