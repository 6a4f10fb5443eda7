import { describe, expect, it } from "vitest";
import { ReplayWindow } from "../../../src/srtp/replay-window.ts";

const ROC = 0x10000;

describe("ReplayWindow index estimate (RFC 3711 Appendix A)", () => {
  it.each([
    ["the same cycle, ahead", 1000, 1010, 1010],
    ["the same cycle, behind", 1000, 990, 990],
    ["the next cycle when s_l is high and SEQ low", 65500, 10, ROC + 10],
    ["the previous cycle when s_l is low and SEQ high", ROC + 10, 65500, 65500],
    ["the same cycle when SEQ is exactly half a cycle ahead", 100, 100 + 0x8000, 100 + 0x8000],
    ["before the first packet at ROC 0 (a negative index)", 10, 65530, 65530 - ROC],
  ])("places a packet in %s", (_name, highest, seq, expected) => {
    expect(new ReplayWindow(highest).estimate(seq)).toBe(expected);
  });
});

describe("ReplayWindow replay list (RFC 3711 §3.3.2)", () => {
  it("treats the first index as received and anything ahead as fresh", () => {
    const window = new ReplayWindow(100);
    expect(window.isFresh(100)).toBe(false);
    expect(window.isFresh(101)).toBe(true);
    expect(window.isFresh(99)).toBe(true);
  });

  it("remembers each of the 63 indices behind the highest and refuses the 64th", () => {
    const window = new ReplayWindow(1000);
    for (let k = 1; k < 64; k++) {
      expect(window.isFresh(1000 - k)).toBe(true);
      window.accept(1000 - k);
      expect(window.isFresh(1000 - k)).toBe(false);
    }
    expect(window.isFresh(1000 - 64)).toBe(false);
  });

  it.each([1, 31, 32, 33, 63, 64, 1000])("keeps the right marks when the window moves %i ahead", (step) => {
    const window = new ReplayWindow(1000);
    window.accept(998);
    window.accept(1000 + step);
    expect(window.isFresh(1000 + step)).toBe(false);
    expect(window.isFresh(1000)).toBe(false);
    expect(window.isFresh(999)).toBe(step + 1 < 64);
    expect(window.isFresh(998)).toBe(false);
    expect(window.isFresh(1000 + step - 1)).toBe(step !== 1);
  });
});
