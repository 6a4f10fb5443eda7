import { afterEach, describe, expect, it } from "vitest";
import { concatBytes, RecordedCall, testPayload, until } from "../../../helpers/recorded-call.ts";
import { ForwardHarness, readRtp, sinkConfig } from "./forward-harness.ts";
import { RemoteSrs } from "./remote-srs.ts";

let harness: ForwardHarness | undefined;
let srs: RemoteSrs | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
  await srs?.close();
  srs = undefined;
});

async function setup(): Promise<{ h: ForwardHarness; remote: RemoteSrs }> {
  srs = await RemoteSrs.start();
  harness = await ForwardHarness.start();
  harness.createForwarder([sinkConfig("rec", srs.uri)]);
  return { h: harness, remote: srs };
}

function oneStreamCall(h: ForwardHarness): RecordedCall {
  if (!h.forwarder) throw new Error("no forwarder");
  return new RecordedCall(h.spool, h.forwarder, [{ role: "customer", label: "only" }]);
}

function payloadsOf(remote: RemoteSrs, session: number): Uint8Array {
  return concatBytes(remote.packets(session, 0).map((p) => readRtp(p).payload));
}

function frames(from: number, to: number): Uint8Array {
  return concatBytes(Array.from({ length: to - from }, (_, i) => testPayload(0, from + i)));
}

describe("forwarding commands", () => {
  it("starts a sink again at the live edge after a stop: the stopped span is not sent, nothing is owed", async () => {
    const { h, remote } = await setup();
    const forwarder = h.forwarder;
    if (!forwarder) throw new Error("no forwarder");
    const call = oneStreamCall(h);
    const reference = { ticket: "T-42" };
    forwarder.start(call.call.callId, { sink: "rec", reference });
    for (let k = 0; k < 3; k++) call.audio(0, testPayload(0, k));
    await until(() => remote.packets(0, 0).length === 3, "the first three packets");
    forwarder.stop(call.call.callId, "rec");
    for (let k = 3; k < 6; k++) call.audio(0, testPayload(0, k));
    forwarder.start(call.call.callId, { sink: "rec", reference });
    for (let k = 6; k < 9; k++) call.audio(0, testPayload(0, k));
    call.end();
    await until(() => forwarder.isDelivered(call.call.callId), "delivery");
    await until(() => remote.packets(1, 0).length === 3, "the packets after the restart");
    expect(payloadsOf(remote, 0)).toEqual(frames(0, 3));
    expect(payloadsOf(remote, 1)).toEqual(frames(6, 9));
    expect(remote.sessions).toHaveLength(2);
    expect(h.started.map((s) => s.reference)).toEqual([reference, reference]);
    expect(h.stopped.map((s) => [s.reason, s.reference])).toEqual([
      ["stopped", reference],
      ["call-ended", reference],
    ]);
  });

  it("sends a call routed only after it ended as one replay session", async () => {
    const { h, remote } = await setup();
    const forwarder = h.forwarder;
    if (!forwarder) throw new Error("no forwarder");
    const call = oneStreamCall(h);
    for (let k = 0; k < 6; k++) call.audio(0, testPayload(0, k));
    call.end();
    forwarder.route(call.call.callId, [{ sink: "rec" }]);
    await until(() => forwarder.isDelivered(call.call.callId), "delivery");
    await until(() => remote.packets(0, 0).length >= 6, "the last datagrams at the SRS");
    expect(remote.sessions[0]?.invite.header("x-siprec-edge-replay")).toBeDefined();
    expect(payloadsOf(remote, 0)).toEqual(frames(0, 6));
    expect(forwarder.forwards(call.call.callId)).toEqual([
      expect.objectContaining({
        sink: "rec",
        state: "done",
        owedFrames: 0,
        target: `udp:127.0.0.1:${remote.port}`,
      }),
    ]);
  });

  it("reports a forward that starts and sends in its status", async () => {
    const { h } = await setup();
    const forwarder = h.forwarder;
    if (!forwarder) throw new Error("no forwarder");
    const call = oneStreamCall(h);
    expect(forwarder.forwards(call.call.callId)).toEqual([]);
    forwarder.route(call.call.callId, [{ sink: "rec", xHeaders: { "X-Case": "9" } }]);
    expect(forwarder.forwards(call.call.callId)[0]?.state).toBe("starting");
    call.audio(0, testPayload(0, 0));
    await until(() => forwarder.forwards(call.call.callId)[0]?.packetsSent === 1, "one packet");
    expect(forwarder.forwards(call.call.callId)[0]).toMatchObject({
      state: "live",
      owedFrames: 0,
      lastError: "",
    });
    expect(forwarder.isDelivered(call.call.callId)).toBe(false);
    call.end();
  });

  it("refuses unknown calls, unknown sinks, unusable headers and a sink chosen twice, changing nothing", async () => {
    const { h, remote } = await setup();
    const forwarder = h.forwarder;
    if (!forwarder) throw new Error("no forwarder");
    const call = oneStreamCall(h);
    const id = call.call.callId;
    const code = (c: string) => expect.objectContaining({ code: c });
    expect(() => forwarder.route("no-such-call", [{ sink: "rec" }])).toThrow(
      code("SIPREC_FORWARD_UNKNOWN_CALL"),
    );
    expect(() => forwarder.route(id, [{ sink: "nope" }])).toThrow(code("SIPREC_FORWARD_UNKNOWN_SINK"));
    expect(() => forwarder.route(id, [{ sink: "rec", xHeaders: { Via: "x" } }])).toThrow(
      code("SIPREC_FORWARD_CONFIG"),
    );
    expect(() => forwarder.route(id, [{ sink: "rec", xHeaders: { "X-A": "a\r\nVia: x" } }])).toThrow(
      code("SIPREC_FORWARD_CONFIG"),
    );
    expect(() => forwarder.route(id, [{ sink: "rec" }, { sink: "rec" }])).toThrow(
      code("SIPREC_FORWARD_ALREADY_STARTED"),
    );
    expect(forwarder.forwards(id)).toEqual([]);
    forwarder.route(id, [{ sink: "rec" }]);
    expect(() => forwarder.start(id, { sink: "rec" })).toThrow(code("SIPREC_FORWARD_ALREADY_STARTED"));
    expect(() => forwarder.stop(id, "other")).toThrow(code("SIPREC_FORWARD_NOT_STARTED"));
    call.end();
    expect(() => forwarder.start(id, { sink: "rec" })).toThrow(code("SIPREC_FORWARD_NOT_LIVE"));
    await until(() => forwarder.isDelivered(id), "delivery");
    expect(remote.sessions).toHaveLength(1);
  });

  it("sends to an ad-hoc URI under a sink name that is not configured", async () => {
    const { h, remote } = await setup();
    const forwarder = h.forwarder;
    if (!forwarder) throw new Error("no forwarder");
    const call = oneStreamCall(h);
    forwarder.start(call.call.callId, { sink: "adhoc", uri: remote.uri, codec: "PCMA" });
    call.audio(0, testPayload(0, 0));
    call.end();
    await until(() => forwarder.isDelivered(call.call.callId), "delivery");
    expect(readRtp(remote.packets(0, 0)[0] ?? new Uint8Array(12)).payloadType).toBe(8);
    expect(h.started[0]).toMatchObject({ sink: "adhoc", uri: remote.uri });
  });
});
