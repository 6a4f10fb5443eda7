import { describe, expect, it } from "vitest";
import { Backoff, ReconnectPolicy } from "../../../src/sinks/backoff.ts";

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

describe("reconnect policy", () => {
  it("restarts from the initial delay only after a connection stayed up 10 s and got an ack", () => {
    const policy = new ReconnectPolicy(new Backoff(500, 30_000, () => 0.999_999));
    expect(policy.closed(0)).toBe(500);
    policy.opened(1_000);
    policy.acked(2_000);
    expect(policy.closed(5_000)).toBe(1000);
    policy.opened(6_000);
    expect(policy.closed(20_000)).toBe(2000);
    policy.opened(21_000);
    policy.acked(22_000);
    expect(policy.closed(32_000)).toBe(500);
  });

  it("uses the receiver's retryAfterMs instead of the backoff when it gave one", () => {
    const policy = new ReconnectPolicy(new Backoff(500, 30_000, () => 0.999_999));
    expect(policy.closed(0, 7_000)).toBe(7_000);
    expect(policy.closed(100)).toBe(1000);
  });
});
