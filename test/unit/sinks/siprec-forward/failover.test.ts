import { afterEach, describe, expect, it } from "vitest";
import { REPLAY_NAMESPACE, splitRecordingBody } from "../../../../src/siprec/index.ts";
import { startDnsServer, type TestDnsServer } from "../../../helpers/dns-server.ts";
import { RecordedCall, testPayload, until } from "../../../helpers/recorded-call.ts";
import { ForwardHarness, readRtp, sinkConfig } from "./forward-harness.ts";
import { RemoteSrs } from "./remote-srs.ts";

let harness: ForwardHarness | undefined;
let dns: TestDnsServer | undefined;
const srss: RemoteSrs[] = [];

afterEach(async () => {
  await harness?.close();
  harness = undefined;
  await dns?.stop();
  dns = undefined;
  for (const srs of srss.splice(0)) await srs.close();
});

/**
 * Two remote SRSs behind `sip:srs.test`: SRV `_sip._udp.srs.test` gives `a.srs.test` (priority 10) then
 * `b.srs.test` (priority 20), both 127.0.0.1 on their own ports.
 */
async function twoTargets(t1?: number): Promise<{ h: ForwardHarness; first: RemoteSrs; second: RemoteSrs }> {
  const first = await RemoteSrs.start();
  const second = await RemoteSrs.start();
  srss.push(first, second);
  dns = await startDnsServer({
    srv: [
      { name: "_sip._udp.srs.test", target: "a.srs.test", port: first.port, priority: 10, weight: 0 },
      { name: "_sip._udp.srs.test", target: "b.srs.test", port: second.port, priority: 20, weight: 0 },
    ],
    hosts: { "a.srs.test": ["127.0.0.1"], "b.srs.test": ["127.0.0.1"] },
  });
  harness = await ForwardHarness.start(t1 === undefined ? {} : { t1 });
  harness.createForwarder([sinkConfig("rec", "sip:srs.test")], { resolver: dns.resolver });
  return { h: harness, first, second };
}

function recordCall(h: ForwardHarness, frames: number): RecordedCall {
  const forwarder = h.forwarder;
  if (!forwarder) throw new Error("no forwarder");
  const call = new RecordedCall(h.spool, forwarder, [
    { role: "customer", label: "1" },
    { role: "agent", label: "2" },
  ]);
  forwarder.route(call.call.callId, [{ sink: "rec" }]);
  addFrames(call, 0, frames);
  return call;
}

function addFrames(call: RecordedCall, from: number, to: number): void {
  for (let k = from; k < to; k++) {
    call.audio(0, testPayload(0, k));
    call.audio(1, testPayload(1, k));
  }
}

/** Which frame numbers (k of `testPayload(stream, k)`) the packets carry. */
function frameNumbers(packets: Uint8Array[], stream: number, count: number): number[] {
  const byPayload = new Map<string, number>();
  for (let k = 0; k < count; k++) byPayload.set(Buffer.from(testPayload(stream, k)).toString("hex"), k);
  return packets.map((p) => byPayload.get(Buffer.from(readRtp(p).payload).toString("hex")) ?? -1);
}

describe("failover across RFC 3263 targets", () => {
  it("moves on to the second SRV target when the first answers 503, and skips the first during its Retry-After", async () => {
    const { h, first, second } = await twoTargets();
    first.status = 503;
    first.retryAfterS = 60;
    const call = recordCall(h, 3);
    await until(() => h.started.length === 1, "the session on the second target");
    expect(h.started[0]?.target).toBe(`udp:127.0.0.1:${second.port}`);
    expect(first.invites).toHaveLength(1);
    expect(h.failed).toEqual([]);
    const next = recordCall(h, 3);
    await until(() => h.started.length === 2, "the next call's session");
    expect(first.invites).toHaveLength(1);
    expect(second.sessions).toHaveLength(2);
    call.end();
    next.end();
    await until(() => h.stopped.length === 2, "both sessions to end");
  });

  it("owes the audio while every target refuses, and replays it as a marked replay session once one is back", async () => {
    const { h, first, second } = await twoTargets();
    first.status = 503;
    second.status = 503;
    const call = recordCall(h, 10);
    await until(() => h.failed.length >= 1, "the failed event");
    expect(h.failed[0]).toMatchObject({ sink: "rec", callId: call.call.callId, status: 503 });
    call.end();
    const forwarder = h.forwarder;
    expect(forwarder?.isDelivered(call.call.callId)).toBe(false);
    expect(forwarder?.forwards(call.call.callId)[0]).toMatchObject({ state: "owed", owedFrames: 20 });
    second.status = 200;
    await until(() => h.stopped.some((s) => s.reason === "replay-done"), "the replay to finish", 10_000);
    const session = second.sessions[0];
    if (!session) throw new Error("no replay session");
    const originalStart = new Date(call.call.startedUs / 1000).toISOString();
    expect(session.invite.header("x-siprec-edge-replay")).toBe(originalStart);
    const metadata = splitRecordingBody(session.invite.header("content-type"), session.invite.body).metadata
      ?.xml;
    expect(metadata).toContain(REPLAY_NAMESPACE);
    const spanStart = new Date(call.call.epochUs / 1000).toISOString();
    const spanEnd = new Date(call.call.epochUs / 1000 + 200).toISOString();
    expect(metadata).toContain(`<se:span-start>${spanStart}</se:span-start>`);
    expect(metadata).toContain(`<se:span-end>${spanEnd}</se:span-end>`);
    expect(metadata).toContain(`<se:source-session>${call.call.callId}</se:source-session>`);
    expect(h.started.at(-1)?.replay).toEqual({ originalStart, spanStart, spanEnd });
    expect(h.stopped.at(-1)?.replay).toEqual({ originalStart, spanStart, spanEnd });
    await until(() => second.packets(0, 1).length === 10, "every replayed packet");
    expect(frameNumbers(second.packets(0, 0), 0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(frameNumbers(second.packets(0, 1), 1, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(forwarder?.isDelivered(call.call.callId)).toBe(true);
    expect(second.sessions).toHaveLength(1);
  });

  it("replays exactly the frames a broken session did not send, beside a new live session on the other target", async () => {
    const { h, first, second } = await twoTargets(5);
    const call = recordCall(h, 150);
    await until(() => first.packets(0, 0).length >= 10, "the first packets");
    await first.closeSip();
    h.forwarder?.recordingPaused(call.call.callId, true);
    await until(() => h.stopped.some((s) => s.reason === "failed"), "the session to break");
    h.forwarder?.recordingPaused(call.call.callId, false);
    await until(() => second.sessions.length === 2, "the live and replay sessions on the second target");
    addFrames(call, 150, 160);
    call.end();
    await until(() => h.forwarder?.isDelivered(call.call.callId) === true, "delivery", 10_000);
    const receivedOf = (stream: number): number[] =>
      [
        ...frameNumbers(first.packets(0, stream), stream, 160),
        ...second.sessions.flatMap((_, i) => frameNumbers(second.packets(i, stream), stream, 160)),
      ].sort((a, b) => a - b);
    // "Delivered" means handed to the socket: the last datagrams may still be on their way.
    await until(() => [0, 1].every((stream) => receivedOf(stream).length >= 160), "every frame at the SRS");
    for (const stream of [0, 1]) {
      expect(receivedOf(stream)).toEqual(Array.from({ length: 160 }, (_, k) => k));
    }
    const replay = second.sessions.find((s) => s.invite.header("x-siprec-edge-replay") !== undefined);
    const live = second.sessions.find((s) => s.invite.header("x-siprec-edge-replay") === undefined);
    if (!replay || !live) throw new Error("no replay or no live session");
    expect(replay.streams[0]?.packets.length).toBeGreaterThan(0);
    expect(live.streams[0]?.packets.length).toBeGreaterThanOrEqual(10);
  });
});
