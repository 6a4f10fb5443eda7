import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  appendFrames,
  audioFrame,
  baseUs,
  callFixture,
  streamFixture,
  thrownCode,
} from "../../contract/spool-fixtures.ts";
import { useSpoolTestDir } from "./spool-test-dir.ts";

/** Runs crash-writer.ts against the test's spool; it dies by SIGKILL with 10 frames committed and 5 not. */
function crashWriter(path: string): { streamId: number; eventSeq: number } {
  const child = spawnSync(process.execPath, [join(import.meta.dirname, "crash-writer.ts"), path], {
    encoding: "utf8",
  });
  expect(child.signal).toBe("SIGKILL");
  const [streamId, eventSeq] = child.stdout.trim().split(" ").map(Number);
  return { streamId: streamId ?? 0, eventSeq: eventSeq ?? 0 };
}

describe("SqliteSpool crash recovery", () => {
  const t = useSpoolTestDir();

  it("closes the calls a SIGKILLed process left live as recovered, with every committed frame", () => {
    const { streamId, eventSeq } = crashWriter(t.path);
    const endedUs = baseUs + 3_600_000_000;
    const spool = t.open();

    const recovered = spool.recoverLiveCalls(endedUs);

    expect(recovered).toEqual([{ ...callFixture(1), state: "recovered", reason: "recovered", endedUs }]);
    expect(spool.listStreams(callFixture(1).callId).map((s) => s.endedUs)).toEqual([endedUs]);
    expect(spool.readFrames(streamId, 1, 100).map((f) => f.idx)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(spool.committedIdx(streamId)).toBe(10);
    expect(thrownCode(() => spool.appendFrame(streamId, audioFrame(10)))).toBe("SPOOL_STREAM_ENDED");
    expect(spool.pendingEvents(10).map((e) => e.eventSeq)).toEqual([eventSeq]);
    expect(spool.recoverLiveCalls(endedUs + 1)).toEqual([]);
    expect(spool.listCalls({ state: "live" })).toEqual([]);
  });

  it("keeps the recovery across a reopen and recovers nothing the second time", () => {
    const { streamId } = crashWriter(t.path);
    let spool = t.open();
    spool.recoverLiveCalls(baseUs + 1);
    spool.close();
    spool = t.open();
    expect(spool.listLiveCallsAtOpen()).toEqual([]);
    expect(spool.recoverLiveCalls(baseUs + 2)).toEqual([]);
    expect(spool.getCall(callFixture(1).callId)).toMatchObject({ state: "recovered", endedUs: baseUs + 1 });
    expect(spool.lastIdx(streamId)).toBe(10);
  });

  it("leaves calls started after the open alone", () => {
    crashWriter(t.path);
    const spool = t.open();
    const fresh = callFixture(2);
    spool.createCall(fresh);
    expect(spool.recoverLiveCalls(baseUs + 1).map((c) => c.callId)).toEqual([callFixture(1).callId]);
    expect(spool.getCall(fresh.callId)?.state).toBe("live");
  });

  it("keeps outbox events in eventSeq order across a reopen, and acknowledging twice changes nothing", () => {
    let spool = t.open();
    const event = (n: number) => ({ name: "ALARM", callId: "", time: baseUs + n, body: `{"n":${n}}` });
    const seqs = [1, 2, 3, 4, 5].map((n) => spool.appendEvent(event(n)));
    spool.ackEvent(seqs[1] ?? 0);
    spool.ackEvent(seqs[3] ?? 0);
    expect(spool.outboxDepth()).toBe(3);
    spool.close();

    spool = t.open();
    expect(spool.outboxDepth()).toBe(3);
    expect(spool.pendingEvents(10).map((e) => e.eventSeq)).toEqual([seqs[0], seqs[2], seqs[4]]);
    expect(spool.pendingEvents(10)[1]).toEqual({ ...event(3), eventSeq: seqs[2] });
    spool.ackEvent(seqs[1] ?? 0);
    spool.ackEvent(seqs[2] ?? 0);
    spool.ackEvent(seqs[2] ?? 0);
    expect(spool.outboxDepth()).toBe(2);
    for (const e of spool.pendingEvents(10)) spool.ackEvent(e.eventSeq);
    expect(spool.outboxDepth()).toBe(0);
    spool.close();

    spool = t.open();
    expect(spool.appendEvent(event(6))).toBeGreaterThan(seqs[4] ?? 0);
  });

  it("keeps eventSeq increasing across purges of every call", () => {
    const spool = t.open();
    const call = callFixture(1);
    spool.createCall(call);
    const stream = spool.createStream(streamFixture(call.callId, 0));
    appendFrames(spool, stream.streamId, 0, 3);
    const seq = spool.appendEvent({ name: "SESSIONSTARTED", callId: call.callId, time: baseUs, body: "{}" });
    spool.endStream(stream.streamId, baseUs);
    spool.endCall(call.callId, "completed", "bye", baseUs);
    spool.ackEvent(seq);
    expect(spool.purge({ retainMs: 0, nowUs: baseUs + 1, isDelivered: () => true }).callsPurged).toBe(1);
    expect(spool.appendEvent({ name: "SESSIONCOMPLETED", callId: "", time: baseUs, body: "{}" })).toBe(
      seq + 1,
    );
  });
});
