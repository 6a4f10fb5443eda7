import { afterEach, describe, expect, it } from "vitest";
import { concatBytes, RecordedCall, testPayload, until } from "../../../helpers/recorded-call.ts";
import { ForwardHarness, readRtp, sinkConfig } from "./forward-harness.ts";
import { RemoteSrs } from "./remote-srs.ts";

let harness: ForwardHarness | undefined;
const srss: RemoteSrs[] = [];

afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const srs of srss.splice(0)) await srs.close();
});

async function srsOf(status: number): Promise<RemoteSrs> {
  const srs = await RemoteSrs.start();
  srs.status = status;
  srss.push(srs);
  return srs;
}

/** A one-stream call routed to `rec`, with `frames` frames, ended. */
function endedCall(h: ForwardHarness, frames: number): RecordedCall {
  const forwarder = h.forwarder;
  if (!forwarder) throw new Error("no forwarder");
  const call = new RecordedCall(h.spool, forwarder, [{ role: "customer", label: "only" }]);
  forwarder.route(call.call.callId, [{ sink: "rec" }]);
  for (let k = 0; k < frames; k++) call.audio(0, testPayload(0, k));
  call.end();
  return call;
}

function payloads(srs: RemoteSrs, session: number): Uint8Array {
  return concatBytes(srs.packets(session, 0).map((p) => readRtp(p).payload));
}

function expected(frames: number): Uint8Array {
  return concatBytes(Array.from({ length: frames }, (_, k) => testPayload(0, k)));
}

describe("store-and-forward to a SIPREC sink", () => {
  it("replays what is owed after a restart: a new forwarder over the same spool file", async () => {
    const srs = await srsOf(503);
    harness = await ForwardHarness.start({ file: true });
    const h = harness;
    h.createForwarder([sinkConfig("rec", srs.uri)], { backoff: { initialMs: 60_000, maxMs: 60_000 } });
    const call = endedCall(h, 12);
    await until(() => h.failed.length === 1, "the failed event");
    await h.restart();
    srs.status = 200;
    const forwarder = h.createForwarder([sinkConfig("rec", srs.uri)]);
    expect(forwarder.isDelivered(call.call.callId)).toBe(false);
    forwarder.recover();
    await until(() => forwarder.isDelivered(call.call.callId), "the replay to deliver the call");
    await until(() => srs.packets(0, 0).length === 12, "every packet");
    expect(payloads(srs, 0)).toEqual(expected(12));
    expect(srs.sessions[0]?.invite.header("x-siprec-edge-replay")).toBe(
      new Date(call.call.startedUs / 1000).toISOString(),
    );
    expect(h.stopped.map((s) => s.reason)).toEqual(["replay-done"]);
  });

  it("runs at most replay.maxConcurrent replay sessions of a sink at once, oldest call first", async () => {
    const srs = await srsOf(503);
    harness = await ForwardHarness.start();
    const h = harness;
    const forwarder = h.createForwarder([
      sinkConfig("rec", srs.uri, { replay: { maxRate: 4, maxConcurrent: 1 } }),
    ]);
    const calls = [endedCall(h, 5), endedCall(h, 5), endedCall(h, 5)];
    await until(() => h.failed.length === 3, "three failed forwards");
    let running = 0;
    let most = 0;
    forwarder.on("started", () => {
      running++;
      most = Math.max(most, running);
    });
    forwarder.on("stopped", () => {
      running--;
    });
    srs.status = 200;
    await until(() => calls.every((c) => forwarder.isDelivered(c.call.callId)), "every call replayed");
    expect(most).toBe(1);
    expect(h.started.map((s) => s.callId)).toEqual(calls.map((c) => c.call.callId));
    for (const [i] of calls.entries()) expect(payloads(srs, i)).toEqual(expected(5));
  });

  it("takes a target down while its OPTIONS get 503 and replays as soon as a ping is answered again", async () => {
    const srs = await srsOf(200);
    srs.optionsStatus = 503;
    harness = await ForwardHarness.start();
    const h = harness;
    const forwarder = h.createForwarder([sinkConfig("rec", srs.uri, { optionsPingMs: 30 })], {
      backoff: { initialMs: 60_000, maxMs: 60_000 },
    });
    await until(() => srs.options >= 2, "two OPTIONS");
    const call = new RecordedCall(h.spool, forwarder, [{ role: "customer", label: "only" }]);
    forwarder.route(call.call.callId, [{ sink: "rec" }]);
    for (let k = 0; k < 5; k++) call.audio(0, testPayload(0, k));
    await until(() => h.failed.length === 1, "the failed event");
    expect(srs.invites).toHaveLength(0);
    srs.optionsStatus = 200;
    await until(() => srs.sessions.length === 2, "the live and the replay session");
    for (let k = 5; k < 8; k++) call.audio(0, testPayload(0, k));
    call.end();
    await until(() => forwarder.isDelivered(call.call.callId), "delivery");
    const replay = srs.sessions.findIndex((s) => s.invite.header("x-siprec-edge-replay") !== undefined);
    const live = 1 - replay;
    await until(() => srs.packets(replay, 0).length + srs.packets(live, 0).length === 8, "every packet");
    expect(concatBytes([payloads(srs, replay), payloads(srs, live)])).toEqual(expected(8));
  });
});
