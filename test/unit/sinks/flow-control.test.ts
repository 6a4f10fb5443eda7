import { afterEach, describe, expect, it } from "vitest";
import { RecordKind } from "../../../src/easp/index.ts";
import { openSqliteSpool } from "../../../src/spool/index.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";
import { nextTurn, RecordedCall, testPayload, until } from "../../helpers/recorded-call.ts";
import { ScriptedReceiver } from "./scripted-receiver.ts";
import { SinkHarness } from "./sink-harness.ts";

let harness: SinkHarness;
let receiver: ScriptedReceiver;

afterEach(async () => {
  await harness.close();
  await receiver.stop();
});

/** Advances the manual clock in steps (timers of the units fire) until `predicate` holds. */
async function drive(clock: ManualClock, predicate: () => boolean, what: string, stepMs = 50): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    clock.advance(stepMs);
    await nextTurn(5);
  }
}

/** Lets sockets and the dispatcher run for a while without moving the manual clock. */
async function idle(ms = 150): Promise<void> {
  await nextTurn(ms);
}

function audioRecords(r: ScriptedReceiver): number {
  return r.records.filter((x) => x.kind === RecordKind.Audio).length;
}

/** A call of one stream whose first `frames` 20 ms frames are in the spool (committed). */
function callWithFrames(frames: number, epochUs?: number): RecordedCall {
  const call = new RecordedCall(
    harness.spool,
    harness.dispatcher!,
    [{ role: "customer", label: "1" }],
    epochUs,
  );
  for (let k = 0; k < frames; k++) call.audio(0, testPayload(0, k));
  harness.spool.flush();
  return call;
}

describe("EASP flow control", () => {
  it("keeps unacknowledged audio within opened.window and sends sync when the window is full", async () => {
    harness = new SinkHarness();
    receiver = ScriptedReceiver.start();
    receiver.behaviour.ack = false;
    receiver.behaviour.opened = () => ({ window: { ms: 200, bytes: 1_000_000 } });
    harness.startDispatcher(receiver.port, { mode: "per-participant", format: "PCMU/8000" });
    callWithFrames(100);
    await until(() => audioRecords(receiver) >= 10, "the first window");
    await until(() => receiver.textsOf("sync").length > 0, "a sync");
    await idle();
    expect(audioRecords(receiver)).toBe(10);

    receiver.sendAll({ type: "ack", v: 1, seq: 11 });
    await until(() => audioRecords(receiver) >= 20, "the next window");
    await idle();
    expect(audioRecords(receiver)).toBe(20);
    expect(receiver.records.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    receiver.behaviour.ack = true;
  });

  it("stops sending on flow{pause:true} (XOFF) and continues where it stopped on flow{pause:false}", async () => {
    harness = new SinkHarness();
    receiver = ScriptedReceiver.start();
    const dispatcher = harness.startDispatcher(receiver.port, {
      mode: "per-participant",
      format: "PCMU/8000",
    });
    const call = callWithFrames(20);
    await until(() => audioRecords(receiver) === 20, "the first frames");
    receiver.sendAll({ type: "flow", v: 1, pause: true });
    await idle(50);
    for (let k = 20; k < 40; k++) call.audio(0, testPayload(0, k));
    harness.spool.flush();
    await idle();
    expect(audioRecords(receiver)).toBe(20);

    receiver.sendAll({ type: "flow", v: 1, pause: false });
    await until(() => audioRecords(receiver) === 40, "the frames held back");
    expect(receiver.records.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
    expect(dispatcher.status()[0]?.state).toBe("open");
  });

  it("asks for an ack with sync after 3 ack intervals of silence, pings every 5 s and gives up after two missed pongs", async () => {
    harness = new SinkHarness();
    receiver = ScriptedReceiver.start();
    receiver.behaviour.ack = false;
    receiver.behaviour.pong = false;
    receiver.behaviour.opened = () => ({ ackIntervalMs: 100 });
    const clock = new ManualClock(0, Date.UTC(2025, 0, 1) * 1000);
    harness.startDispatcher(receiver.port, { mode: "per-participant", format: "PCMU/8000" }, { clock });
    callWithFrames(5);
    await drive(clock, () => audioRecords(receiver) === 5, "the frames", 10);
    const sentAt = clock.now();
    await drive(clock, () => receiver.textsOf("sync").length > 0, "a sync", 10);
    expect(clock.now() - sentAt).toBeGreaterThan(300);

    await drive(clock, () => receiver.textsOf("ping").length === 1, "a ping", 100);
    await drive(clock, () => receiver.textsOf("ping").length === 2, "a second ping", 100);
    expect(harness.disconnects).toEqual([]);
    await drive(clock, () => harness.disconnects.length === 1, "the connection given up", 100);
    expect(harness.disconnects[0]).toMatch(/^closed 4408/);
  });

  it("paces replayed audio at the lower of opened.replay.maxRate and the sink's max_rate", async () => {
    harness = new SinkHarness();
    receiver = ScriptedReceiver.start();
    receiver.behaviour.opened = () => ({ replay: { maxRate: 4 } });
    const epochUs = Date.UTC(2025, 0, 1) * 1000;
    const clock = new ManualClock(0, epochUs + 60_000_000);
    harness.startDispatcher(
      receiver.port,
      { mode: "per-participant", format: "PCMU/8000", replay: { maxRate: 1, strategy: "in-order" } },
      { clock },
    );
    callWithFrames(500, epochUs);
    await until(() => audioRecords(receiver) === 50, "one second of burst");
    await idle();
    expect(audioRecords(receiver)).toBe(50);

    clock.advance(1000);
    await until(() => audioRecords(receiver) === 100, "one more second");
    await idle();
    expect(audioRecords(receiver)).toBe(100);

    clock.advance(2000);
    await until(() => audioRecords(receiver) === 150, "one more second: the bucket holds no more");
    await idle();
    expect(audioRecords(receiver)).toBe(150);
  });

  it("forwards live audio only once the spool committed it, unless commits stall for 2 s", async () => {
    harness = new SinkHarness();
    harness.spool.close();
    harness.spool = openSqliteSpool({ path: ":memory:", commitIntervalMs: 2 ** 31 - 1 });
    receiver = ScriptedReceiver.start();
    const epochUs = Date.UTC(2025, 0, 1) * 1000;
    const clock = new ManualClock(0, epochUs);
    const dispatcher = harness.startDispatcher(
      receiver.port,
      { mode: "per-participant", format: "PCMU/8000" },
      { clock },
    );
    const call = new RecordedCall(harness.spool, dispatcher, [{ role: "customer", label: "1" }], epochUs);
    for (let k = 0; k < 10; k++) call.audio(0, testPayload(0, k));
    await drive(clock, () => receiver.opens.length === 1, "the session opened", 20);
    await drive(clock, () => clock.now() >= 1_000, "a second without a commit", 50);
    expect(receiver.records).toEqual([]);

    harness.spool.flush();
    await drive(clock, () => receiver.records.length === 10, "the committed frames", 20);
    for (let k = 10; k < 20; k++) call.audio(0, testPayload(0, k));
    await drive(clock, () => receiver.records.length === 20, "frames of a stalled spool", 50);
    expect(clock.now()).toBeGreaterThan(2_000 + 19 * 20);
  });
});
