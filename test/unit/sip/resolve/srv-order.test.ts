import type { SrvRecord } from "node:dns";
import { describe, expect, it } from "vitest";
import { orderSrvRecords } from "../../../../src/sip/resolve/index.ts";

const srv = (name: string, priority: number, weight: number): SrvRecord => ({
  name,
  priority,
  weight,
  port: 5060,
});

/** Returns `values` in turn, then repeats them. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

describe("orderSrvRecords (RFC 2782 usage rules)", () => {
  it("tries lower priorities first, whatever their weights", () => {
    const records = [srv("c", 30, 100), srv("a", 10, 0), srv("b", 20, 100)];
    expect(orderSrvRecords(records, Math.random).map((r) => r.name)).toEqual(["a", "b", "c"]);
  });

  it("picks within a priority in proportion to weight (3:1 over 10 000 draws)", () => {
    const records = [srv("light", 10, 20), srv("heavy", 10, 60)];
    let state = 12345;
    const random = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    let heavyFirst = 0;
    for (let i = 0; i < 10_000; i++) {
      if (orderSrvRecords(records, random)[0]?.name === "heavy") heavyFirst++;
    }
    expect(heavyFirst / 10_000).toBeGreaterThan(0.72);
    expect(heavyFirst / 10_000).toBeLessThan(0.78);
  });

  it("maps the draw onto running sums in list order, weight-0 records placed first", () => {
    const records = [srv("w10", 10, 10), srv("zero", 10, 0), srv("w30", 10, 30)];
    // Running sums: zero 0, w10 10, w30 40; draws are floor(r * 41).
    expect(orderSrvRecords(records, sequence(0, 0, 0)).map((r) => r.name)).toEqual(["zero", "w10", "w30"]);
    expect(orderSrvRecords(records, sequence(0.99, 0.99, 0.99)).map((r) => r.name)).toEqual([
      "w30",
      "w10",
      "zero",
    ]);
    expect(orderSrvRecords(records, sequence(0.2, 0, 0)).map((r) => r.name)).toEqual(["w10", "zero", "w30"]);
  });

  it("leaves out targets of '.' (service decidedly not available)", () => {
    expect(orderSrvRecords([srv("", 0, 0), srv(".", 0, 0), srv("a", 1, 0)], Math.random)).toEqual([
      srv("a", 1, 0),
    ]);
  });

  it("does not modify the records it was given", () => {
    const records = [srv("b", 20, 0), srv("a", 10, 0)];
    orderSrvRecords(records, Math.random);
    expect(records.map((r) => r.name)).toEqual(["b", "a"]);
  });
});
