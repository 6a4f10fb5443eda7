import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultSpeech, readWav16Mono, WavFormatError } from "../../../../src/tools/simulate-call/index.ts";

interface WavSpec {
  riff?: string;
  formatTag?: number;
  channels?: number;
  bits?: number;
  extensibleSubFormat?: number;
  extraChunk?: boolean;
  omitFmt?: boolean;
  omitData?: boolean;
}

/** Builds a small WAV file in memory: `fmt ` (16 or 40 bytes), an optional LIST chunk, `data`. */
function wav(samples: number[], spec: WavSpec = {}): Uint8Array {
  const chunks: Buffer[] = [];
  const chunk = (id: string, body: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, "latin1");
    head.writeUInt32LE(body.length, 4);
    chunks.push(head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0));
  };
  const extensible = spec.extensibleSubFormat !== undefined;
  const fmt = Buffer.alloc(extensible ? 40 : 16);
  const channels = spec.channels ?? 1;
  const bits = spec.bits ?? 16;
  fmt.writeUInt16LE(extensible ? 0xfffe : (spec.formatTag ?? 1), 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(8000, 4);
  fmt.writeUInt32LE((8000 * channels * bits) / 8, 8);
  fmt.writeUInt16LE((channels * bits) / 8, 12);
  fmt.writeUInt16LE(bits, 14);
  if (extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(spec.extensibleSubFormat ?? 1, 24);
  }
  if (!spec.omitFmt) chunk("fmt ", fmt);
  if (spec.extraChunk) chunk("LIST", Buffer.from("INFOISFT\x05\x00\x00\x00sox!\x00", "latin1"));
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => {
    data.writeInt16LE(s, i * 2);
  });
  if (!spec.omitData) chunk("data", data);
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write(spec.riff ?? "RIFF", 0, "latin1");
  header.writeUInt32LE(body.length + 4, 4);
  header.write("WAVE", 8, "latin1");
  return new Uint8Array(Buffer.concat([header, body]));
}

describe("readWav16Mono", () => {
  it("returns the samples of a 16-bit mono PCM file", () => {
    expect(Array.from(readWav16Mono(wav([0, 1, -1, 32767, -32768])))).toEqual([0, 1, -1, 32767, -32768]);
  });

  it("skips chunks other than fmt and data, and accepts WAVE_FORMAT_EXTENSIBLE with PCM inside", () => {
    expect(Array.from(readWav16Mono(wav([5, -5], { extraChunk: true })))).toEqual([5, -5]);
    expect(Array.from(readWav16Mono(wav([7], { extensibleSubFormat: 1 })))).toEqual([7]);
  });

  it("reads the 12 s agent fixture as 96,000 samples", async () => {
    const bytes = await readFile(join(import.meta.dirname, "../../../fixtures/audio/agent.wav"));
    expect(readWav16Mono(new Uint8Array(bytes))).toHaveLength(96_000);
  });

  it.each([
    { name: "not RIFF", bytes: wav([1], { riff: "RIFX" }), message: /not a RIFF\/WAVE/ },
    { name: "stereo", bytes: wav([1, 2], { channels: 2 }), message: /2 channels/ },
    { name: "8-bit", bytes: wav([1], { bits: 8 }), message: /8 bits/ },
    { name: "IEEE float", bytes: wav([1], { formatTag: 3 }), message: /format tag 3/ },
    { name: "extensible A-law", bytes: wav([1], { extensibleSubFormat: 6 }), message: /format tag 6/ },
    { name: "no fmt chunk", bytes: wav([1], { omitFmt: true }), message: /before its fmt chunk/ },
    { name: "no data chunk", bytes: wav([1], { omitData: true }), message: /no data chunk/ },
    { name: "empty", bytes: new Uint8Array(0), message: /not a RIFF\/WAVE/ },
  ])("rejects $name with SIMULATE_BAD_WAV", ({ bytes, message }) => {
    const read = () => readWav16Mono(bytes);
    expect(read).toThrow(WavFormatError);
    expect(read).toThrow(message);
    expect(read).toThrow(expect.objectContaining({ code: "SIMULATE_BAD_WAV" }));
  });
});

describe("defaultSpeech", () => {
  it("gives two different 12 s speakers at 8 kHz", async () => {
    const [agent, customer] = await defaultSpeech();
    expect([agent.length, customer.length]).toEqual([96_000, 96_000]);
    expect(agent).not.toEqual(customer);
    const peak = (samples: Int16Array) => samples.reduce((max, s) => Math.max(max, Math.abs(s)), 0);
    expect(peak(agent)).toBeGreaterThan(8_000);
    expect(peak(customer)).toBeGreaterThan(8_000);
  });
});
