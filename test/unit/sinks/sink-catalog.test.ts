import { describe, expect, it } from "vitest";
import { systemClock } from "../../../src/lib/index.ts";
import { SinkCatalog } from "../../../src/sinks/sink-catalog.ts";
import { sinkConfig } from "./sink-harness.ts";

function catalog(): SinkCatalog {
  return new SinkCatalog(
    [sinkConfig("ai", 4000, { mode: "per-participant", format: "L16/8000" })],
    systemClock,
  );
}

describe("sink choices of a call", () => {
  it("uses the configured sink itself when the choice overrides nothing", () => {
    const sinks = catalog();
    expect(sinks.resolve({ sink: "ai" })).toBe(sinks.sinks[0]);
  });

  it("applies overrides to the configured sink, keeping its circuit breaker and adding headers", () => {
    const sinks = catalog();
    const variant = sinks.resolve({ sink: "ai", mode: "interleaved", headers: { "X-Tenant": "t1" } });
    expect(variant.config).toMatchObject({
      name: "ai",
      url: "ws://127.0.0.1:4000/stream",
      mode: "interleaved",
      format: "L16/8000",
      headers: { Authorization: "Bearer test-token", "X-Tenant": "t1" },
    });
    expect(variant.breaker).toBe(sinks.sinks[0]?.breaker);
  });

  it("sends nothing configured for the sink to another url, and gives that url its own breaker", () => {
    const sinks = catalog();
    const moved = sinks.resolve({ sink: "ai", url: "wss://other.example/x" });
    expect(moved.config.headers).toEqual({});
    expect(moved.config.url).toBe("wss://other.example/x");
    expect(moved.breaker).not.toBe(sinks.sinks[0]?.breaker);
  });

  it("defines a sink for one call from a url: interleaved PCMU by default", () => {
    const adhoc = catalog().resolve({ sink: "adhoc", url: "ws://127.0.0.1:4001/" });
    expect(adhoc.config).toMatchObject({
      name: "adhoc",
      protocol: "easp",
      mode: "interleaved",
      format: "PCMU/8000",
      headers: {},
    });
  });

  it("keeps a sink's circuit breaker across a reload that keeps its name", () => {
    const sinks = catalog();
    const before = sinks.sinks[0]?.breaker;
    sinks.reconfigure([
      sinkConfig("ai", 4002, { mode: "interleaved", format: "PCMU/8000" }),
      sinkConfig("qa", 4003, { mode: "interleaved", format: "PCMU/8000" }),
    ]);
    expect(sinks.sinks.map((s) => s.config.name)).toEqual(["ai", "qa"]);
    expect(sinks.sinks[0]?.breaker).toBe(before);
    expect(sinks.sinks[0]?.config.url).toBe("ws://127.0.0.1:4002/stream");
  });
});
