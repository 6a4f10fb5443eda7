import { afterEach, describe, expect, it } from "vitest";
import { encodeG711 } from "../../../../src/media/index.ts";
import { parseSdp } from "../../../../src/sdp/index.ts";
import { parseMetadata, splitRecordingBody } from "../../../../src/siprec/index.ts";
import { SimulateCallError, simulateCall } from "../../../../src/tools/simulate-call/index.ts";
import { ManualClock } from "../../../helpers/manual-clock.ts";
import { startTestSrs, type TestSrs } from "./test-srs.ts";

/** A tone of `hz` at 8 kHz, `samples` long (not a multiple of 160, so the last packet is short). */
function tone(hz: number, samples: number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(12_000 * Math.sin((2 * Math.PI * hz * i) / 8000));
  return out;
}

const agent = tone(440, 25 * 160 + 37);
const customer = tone(1000, 20 * 160 + 11);

let srs: TestSrs | undefined;
afterEach(() => srs?.close());

describe.each([
  { transport: "udp" as const, codec: "PCMU" as const, payloadType: 0 },
  { transport: "tcp" as const, codec: "PCMA" as const, payloadType: 8 },
])("simulateCall over $transport with $codec", ({ transport, codec, payloadType }) => {
  it("sends a multipart SIPREC INVITE, the customer on m-line 1 and the agent on m-line 2 byte for byte, then BYE", async () => {
    srs = await startTestSrs({ transport, answer: { kind: "accept" }, payloadType });
    const result = await simulateCall({
      target: { host: "127.0.0.1", port: srs.port },
      transport,
      codec,
      audio: [agent, customer],
      localAddress: "127.0.0.1",
    });

    expect(result).toMatchObject({
      status: 200,
      reason: "OK",
      packetsSent: [21, 26],
      payloadBytes: [customer.length, agent.length],
    });
    const invite = srs.requests.find((r) => r.method === "INVITE");
    expect(invite?.callId).toBe(result.sipCallId);
    expect(invite?.header("require")).toBe("siprec");
    expect(invite?.header("contact")).toMatch(/;\+sip\.src$/);
    expect(invite?.header("user-to-user")).toMatch(/^00FA08[0-9A-F]{16};encoding=hex$/);
    expect(invite?.contentType).toBe("multipart/mixed");
    const body = splitRecordingBody(invite?.contentTypeRaw, invite?.body ?? new Uint8Array());
    const offer = parseSdp(body.sdp);
    expect(offer.media.map((m) => [m.label, m.direction, m.formats[0]?.payloadType])).toEqual([
      ["1", "sendonly", payloadType],
      ["2", "sendonly", payloadType],
    ]);
    expect(body.metadata?.contentType).toBe("application/rs-metadata+xml");
    const metadata = parseMetadata(body.metadata?.xml ?? "");
    expect(metadata.namespace).toBe("urn:ietf:params:xml:ns:recording:1");
    expect(metadata.streams.map((s) => s.label)).toEqual(["1", "2"]);
    expect(metadata.participants.map((p) => p.send.length + p.recv.length)).toEqual([2, 2]);

    expect(srs.streams[0].payload()).toEqual(encodeG711(codec, customer));
    expect(srs.streams[1].payload()).toEqual(encodeG711(codec, agent));
    for (const stream of srs.streams) {
      const [first, second] = stream.headers;
      expect(first?.marker).toBe(true);
      expect(second?.marker).toBe(false);
      expect(second?.seq).toBe(((first?.seq ?? 0) + 1) & 0xffff);
      expect(second?.timestamp).toBe(((first?.timestamp ?? 0) + 160) >>> 0);
      expect(new Set(stream.headers.map((h) => h.payloadType))).toEqual(new Set([payloadType]));
      expect(new Set(stream.headers.map((h) => h.ssrc)).size).toBe(1);
    }
    expect(srs.requests.map((r) => r.method)).toEqual(["INVITE", "ACK", "BYE"]);
    expect(srs.requests[2]?.header("require")).toBe("siprec");
  });

  it("resolves with the status of a refusal and sends no RTP", async () => {
    srs = await startTestSrs({ transport, answer: { kind: "refuse", status: 486, reason: "Busy Here" } });
    const result = await simulateCall({
      target: { host: "127.0.0.1", port: srs.port },
      transport,
      codec,
      audio: [agent, customer],
      localAddress: "127.0.0.1",
    });

    expect(result).toMatchObject({
      status: 486,
      reason: "Busy Here",
      packetsSent: [0, 0],
      payloadBytes: [0, 0],
    });
    await srs.waitFor("ACK");
    expect(srs.requests.map((r) => r.method)).toEqual(["INVITE", "ACK"]);
    expect(srs.streams[0].headers).toEqual([]);
  });

  it("stops the RTP and sends no BYE when the SRS ends the session first", async () => {
    srs = await startTestSrs({ transport, answer: { kind: "accept" }, payloadType, byeAfterPackets: 5 });
    const result = await simulateCall({
      target: { host: "127.0.0.1", port: srs.port },
      transport,
      codec,
      audio: [agent, customer],
      localAddress: "127.0.0.1",
    });

    expect(result.status).toBe(200);
    expect(result.packetsSent[0]).toBeLessThan(21);
    await srs.waitForResponses(1);
    expect(srs.responses.map((r) => ("status" in r ? r.status : 0))).toEqual([200]);
    expect(srs.requests.map((r) => r.method)).toEqual(["INVITE", "ACK"]);
  });

  it("ends the call and fails with SIMULATE_BAD_ANSWER when the answer has one m-line", async () => {
    srs = await startTestSrs({ transport, answer: { kind: "accept", mlines: 1 }, payloadType });
    const call = simulateCall({
      target: { host: "127.0.0.1", port: srs.port },
      transport,
      codec,
      audio: [agent, customer],
      localAddress: "127.0.0.1",
    });

    await expect(call).rejects.toMatchObject({ code: "SIMULATE_BAD_ANSWER" });
    expect(srs.requests.map((r) => r.method)).toEqual(["INVITE", "ACK", "BYE"]);
  });
});

describe("simulateCall without an answer", () => {
  it("retransmits the INVITE over UDP per Timer A and gives up after 64*T1 with SIMULATE_NO_ANSWER", async () => {
    srs = await startTestSrs({ transport: "udp", answer: { kind: "silent" } });
    const clock = new ManualClock();
    const call = simulateCall({
      target: { host: "127.0.0.1", port: srs.port },
      transport: "udp",
      codec: "PCMU",
      audio: [agent, customer],
      localAddress: "127.0.0.1",
      clock,
    });
    const outcome = call.then(
      () => undefined,
      (err: unknown) => err,
    );

    // Timer A: retransmissions 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s after the INVITE (T1 = 500 ms).
    await srs.waitFor("INVITE", 1);
    for (const [step, count] of [
      [500, 2],
      [1000, 3],
      [2000, 4],
      [4000, 5],
      [8000, 6],
      [16000, 7],
    ] as const) {
      clock.advance(step);
      await srs.waitFor("INVITE", count);
    }
    clock.advance(500);

    const err = await outcome;
    expect(err).toBeInstanceOf(SimulateCallError);
    expect(err).toMatchObject({ code: "SIMULATE_NO_ANSWER" });
    expect(srs.requests.filter((r) => r.method === "INVITE")).toHaveLength(7);
  });

  it("fails with SIMULATE_NO_ANSWER when the TCP connection is refused", async () => {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = listener.port;
    listener.stop(true);
    const call = simulateCall({
      target: { host: "127.0.0.1", port },
      transport: "tcp",
      codec: "PCMU",
      audio: [agent, customer],
    });

    await expect(call).rejects.toMatchObject({ code: "SIMULATE_NO_ANSWER" });
  });
});
