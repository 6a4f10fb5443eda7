import { describe, expect, it } from "vitest";
import { formatBytes, parseBytes, parseDuration } from "../../../src/lib/index.ts";

describe("parseBytes", () => {
  it.each([
    ["20GB", 20e9],
    ["512MiB", 512 * 1024 ** 2],
    ["1.5gb", 1.5e9],
    ["4096", 4096],
    [2048, 2048],
  ])("reads %s as %d bytes", (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  it.each(["twenty", "20 parsecs", "-1", ""])("refuses %j", (text) => {
    expect(parseBytes(text)).toBeUndefined();
  });
});

describe("parseDuration", () => {
  it.each([
    ["24h", 86_400_000],
    ["90s", 90_000],
    ["500ms", 500],
    ["7d", 604_800_000],
    ["250", 250],
  ])("reads %s as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it("refuses a unit it does not know", () => {
    expect(parseDuration("3 weeks")).toBeUndefined();
  });
});

describe("formatBytes", () => {
  it.each([
    [512, "512 B"],
    [1536, "1.5 KiB"],
    [20 * 1024 ** 3, "20.0 GiB"],
  ])("writes %d bytes as %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
