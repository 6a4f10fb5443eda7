import { describe, expect, it } from "vitest";
import type { CallSinkRow } from "../../../src/spool/index.ts";
import { baseUs, callFixture, callWithStream, thrownCode } from "../../contract/spool-fixtures.ts";
import { useSpoolTestDir } from "./spool-test-dir.ts";

const minuteUs = 60_000_000;

function row(callId: string, sink: string, patch: Partial<CallSinkRow> = {}): CallSinkRow {
  return { callId, sink, overrides: "{}", stopped: false, stopCuts: {}, ...patch };
}

describe("SqliteSpool per-call sinks (routing, startStream, stopStream)", () => {
  const t = useSpoolTestDir();

  it("tells a call never routed from a call routed to no sink", () => {
    const spool = t.open();
    const never = callFixture(1);
    const recordOnly = callFixture(2);
    spool.createCall(never);
    spool.createCall(recordOnly);
    spool.setCallSinks(recordOnly.callId, []);

    expect(spool.listCallSinks(never.callId)).toBeUndefined();
    expect(spool.listCallSinks(recordOnly.callId)).toEqual([]);
    expect(spool.listCallSinks("no-such-call")).toBeUndefined();
  });

  it("stores the chosen sinks in order with their overrides, and replaces them on a second decision", () => {
    const spool = t.open();
    const { call } = callWithStream(spool);
    const overrides = JSON.stringify({ url: "ws://127.0.0.1:9/x", headers: { "X-Tenant": "a" } });
    spool.setCallSinks(call.callId, [
      { sink: "ai", overrides: "{}", stopped: false, stopCuts: {} },
      { sink: "qa", overrides, stopped: false, stopCuts: {} },
    ]);
    expect(spool.listCallSinks(call.callId)).toEqual([
      row(call.callId, "ai"),
      row(call.callId, "qa", { overrides }),
    ]);

    spool.setCallSinks(call.callId, [{ sink: "qa", overrides: "{}", stopped: false, stopCuts: {} }]);
    expect(spool.listCallSinks(call.callId)).toEqual([row(call.callId, "qa")]);
  });

  it("adds a sink after the others, and updates one in place with its stop and cuts", () => {
    const spool = t.open();
    const { call } = callWithStream(spool);
    spool.setCallSinks(call.callId, [{ sink: "ai", overrides: "{}", stopped: false, stopCuts: {} }]);
    spool.upsertCallSink(row(call.callId, "qa"));
    spool.upsertCallSink(row(call.callId, "ai", { stopped: true, stopCuts: { "12": 51, "13#1": 7 } }));

    expect(spool.listCallSinks(call.callId)).toEqual([
      row(call.callId, "ai", { stopped: true, stopCuts: { "12": 51, "13#1": 7 } }),
      row(call.callId, "qa"),
    ]);
  });

  it("counts a call as routed once a sink is added to it", () => {
    const spool = t.open();
    const { call } = callWithStream(spool);
    spool.upsertCallSink(row(call.callId, "ai"));
    expect(spool.listCallSinks(call.callId)).toEqual([row(call.callId, "ai")]);
  });

  it("refuses sinks for a call it does not store", () => {
    const spool = t.open();
    expect(thrownCode(() => spool.setCallSinks("no-such-call", []))).toBe("SPOOL_UNKNOWN_CALL");
    expect(thrownCode(() => spool.upsertCallSink(row("no-such-call", "ai")))).toBe("SPOOL_UNKNOWN_CALL");
  });

  it("keeps the routing across close and reopen", () => {
    let spool = t.open();
    const { call } = callWithStream(spool);
    spool.setCallSinks(call.callId, [{ sink: "ai", overrides: "{}", stopped: true, stopCuts: { call: 9 } }]);
    spool.close();
    spool = t.open();
    expect(spool.listCallSinks(call.callId)).toEqual([
      row(call.callId, "ai", { stopped: true, stopCuts: { call: 9 } }),
    ]);
  });

  it("deletes the routing of purged calls and keeps that of the others", () => {
    const spool = t.open();
    const gone = callWithStream(spool, 1);
    const kept = callWithStream(spool, 2);
    for (const { call, stream } of [gone, kept]) {
      spool.setCallSinks(call.callId, [{ sink: "ai", overrides: "{}", stopped: false, stopCuts: {} }]);
      spool.endStream(stream.streamId, baseUs);
      spool.endCall(call.callId, "completed", "bye", baseUs);
    }
    const result = spool.purge({
      retainMs: 0,
      nowUs: baseUs + minuteUs,
      isDelivered: (callId) => callId === gone.call.callId,
    });
    expect(result.callsPurged).toBe(1);
    expect(spool.listCallSinks(gone.call.callId)).toBeUndefined();
    expect(spool.listCallSinks(kept.call.callId)).toEqual([row(kept.call.callId, "ai")]);
  });
});
