import { describe, expect, it } from "vitest";
import { Backoff } from "../../../src/sinks/backoff.ts";

describe("reconnect backoff", () => {
  it("doubles the ceiling from the initial delay up to the cap, with full jitter", () => {
    const top = new Backoff(500, 30_000, () => 0.999_999);
    expect(Array.from({ length: 9 }, () => top.next())).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
    const bottom = new Backoff(500, 30_000, () => 0);
    expect(bottom.next()).toBe(0);
  });

  it("starts from the initial delay again after a reset", () => {
    const backoff = new Backoff(100, 1000, () => 0.999_999);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });
});
