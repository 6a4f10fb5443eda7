import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alaw, mulaw } from "alawmulaw";
import { afterAll, describe, expect, it } from "vitest";
import { buildWav } from "../../../src/media/index.ts";
import { readWav } from "../../helpers/wav-reader.ts";

const dir = mkdtempSync(join(tmpdir(), "wav-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function save(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Decodes a WAV with sox into raw samples of the given sox encoding. */
function soxRaw(path: string, args: string[]): Uint8Array {
  const out = join(dir, `${Math.random().toString(36).slice(2)}.raw`);
  execFileSync("sox", [path, ...args, out]);
  return new Uint8Array(readFileSync(out));
}

/** What a player hears: sox's decode of the file to 16-bit linear samples. */
function soxLinear(path: string): Int16Array {
  const raw = soxRaw(path, ["-t", "raw", "-e", "signed", "-b", "16", "-L"]);
  return new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
}

const g711 = Uint8Array.from({ length: 1600 }, (_, i) => (i * 37) & 0xff);

describe("buildWav", () => {
  it("wraps µ-law bytes unchanged as WAVE_FORMAT_MULAW, which sox plays as those samples", () => {
    const path = save("ulaw.wav", buildWav({ format: "PCMU", rate: 8000, channels: 1, data: g711 }));
    const wav = readWav(path);
    expect(wav).toMatchObject({ formatTag: 7, channels: 1, rate: 8000, bitsPerSample: 8 });
    expect(wav.riffSize).toBe(wav.fileSize - 8);
    expect(wav.data).toEqual(g711);
    expect(soxLinear(path)).toEqual(mulaw.decode(g711));
    expect(execFileSync("soxi", ["-e", path]).toString().trim()).toBe("u-law");
    expect(execFileSync("soxi", ["-D", path]).toString().trim()).toBe("0.200000");
  });

  it("wraps A-law bytes as WAVE_FORMAT_ALAW with a fact chunk counting the sample frames", () => {
    const bytes = buildWav({ format: "PCMA", rate: 8000, channels: 2, data: g711 });
    const path = save("alaw.wav", bytes);
    expect(readWav(path)).toMatchObject({ formatTag: 6, channels: 2, bitsPerSample: 8 });
    const text = new TextDecoder("latin1").decode(bytes);
    const fact = text.indexOf("fact");
    expect(fact).toBeGreaterThan(0);
    expect(new DataView(bytes.buffer).getUint32(fact + 8, true)).toBe(800);
    expect(soxLinear(path)).toEqual(alaw.decode(g711));
  });

  it("writes 16-bit little-endian PCM as WAVE_FORMAT_PCM that sox reads back unchanged", () => {
    const samples = Int16Array.from({ length: 640 }, (_, i) => Math.round(Math.sin(i / 5) * 12_000));
    const data = new Uint8Array(samples.buffer);
    const path = save("l16.wav", buildWav({ format: "L16", rate: 16_000, channels: 2, data }));
    expect(readWav(path)).toMatchObject({ formatTag: 1, channels: 2, rate: 16_000, bitsPerSample: 16 });
    expect(soxRaw(path, ["-t", "raw", "-e", "signed", "-b", "16", "-L"])).toEqual(data);
  });

  it("pads an odd-length data chunk to an even size and keeps the RIFF size right", () => {
    const odd = g711.subarray(0, 161);
    const path = save("odd.wav", buildWav({ format: "PCMU", rate: 8000, channels: 1, data: odd }));
    const wav = readWav(path);
    expect(wav.fileSize % 2).toBe(0);
    expect(wav.riffSize).toBe(wav.fileSize - 8);
    expect(wav.data).toEqual(odd);
    expect(soxLinear(path)).toEqual(mulaw.decode(odd));
  });

  it("writes a valid empty file for a stream without audio", () => {
    const path = save(
      "empty.wav",
      buildWav({ format: "PCMU", rate: 8000, channels: 1, data: new Uint8Array() }),
    );
    expect(readWav(path).data.byteLength).toBe(0);
    expect(execFileSync("soxi", ["-s", path]).toString().trim()).toBe("0");
  });

  it.each([
    ["a rate of 0", { format: "PCMU", rate: 0, channels: 1, data: g711 }],
    ["no channel", { format: "PCMU", rate: 8000, channels: 0, data: g711 }],
    ["half an L16 sample", { format: "L16", rate: 8000, channels: 1, data: new Uint8Array(3) }],
    ["a partial stereo frame", { format: "PCMA", rate: 8000, channels: 2, data: new Uint8Array(3) }],
  ] as const)("refuses %s with a RangeError", (_name, options) => {
    expect(() => buildWav(options)).toThrow(RangeError);
  });
});
