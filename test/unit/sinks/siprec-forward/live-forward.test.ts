import { alaw, mulaw } from "alawmulaw";
import { afterEach, describe, expect, it } from "vitest";
import { parseSdp } from "../../../../src/sdp/index.ts";
import { parseMetadata, REPLAY_NAMESPACE, splitRecordingBody } from "../../../../src/siprec/index.ts";
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

async function setup(
  sink: Parameters<typeof sinkConfig>[2] = {},
): Promise<{ h: ForwardHarness; srs: RemoteSrs }> {
  const srs = await RemoteSrs.start();
  srss.push(srs);
  harness = await ForwardHarness.start();
  harness.createForwarder([sinkConfig("rec", srs.uri, sink)]);
  return { h: harness, srs };
}

/** A two-party call routed to the sink `rec`, with `frames` frames per stream recorded at once. */
function recordCall(h: ForwardHarness, frames: number): RecordedCall {
  const forwarder = h.forwarder;
  if (!forwarder) throw new Error("no forwarder");
  const call = new RecordedCall(h.spool, forwarder, [
    { role: "customer", label: "caller-leg" },
    { role: "agent", label: "callee-leg" },
  ]);
  forwarder.route(call.call.callId, [{ sink: "rec" }]);
  for (let k = 0; k < frames; k++) {
    call.audio(0, testPayload(0, k));
    call.audio(1, testPayload(1, k));
  }
  return call;
}

function expected(stream: number, from: number, to: number): Uint8Array {
  return concatBytes(Array.from({ length: to - from }, (_, i) => testPayload(stream, from + i)));
}

describe("a live SIPREC forward", () => {
  it("sends each stream's audio byte-exact with its own SSRC, sequence numbers and timestamps, then BYE at the end", async () => {
    const { h, srs } = await setup();
    const call = recordCall(h, 20);
    await until(() => h.started.length === 1, "the forward session to start");
    for (let k = 20; k < 30; k++) {
      call.audio(0, testPayload(0, k));
      call.audio(1, testPayload(1, k));
    }
    call.end();
    await until(() => h.stopped.length === 1, "the forward session to end");
    await until(() => srs.packets(0, 0).length === 30 && srs.packets(0, 1).length === 30, "every packet");
    expect(h.stopped[0]?.reason).toBe("call-ended");
    await until(() => srs.sessions[0]?.ended === "bye", "our BYE");
    await until(
      () => [0, 1].every((stream) => srs.packets(0, stream).length >= 30),
      "every frame at the SRS",
    );
    const ssrcs: number[] = [];
    for (const stream of [0, 1]) {
      const rtp = srs.packets(0, stream).map(readRtp);
      expect(concatBytes(rtp.map((p) => p.payload))).toEqual(expected(stream, 0, 30));
      expect(new Set(rtp.map((p) => p.payloadType))).toEqual(new Set([0]));
      expect(new Set(rtp.map((p) => p.ssrc)).size).toBe(1);
      rtp.forEach((p, i) => {
        if (i === 0) return;
        const prev = rtp[i - 1];
        expect((p.seq - (prev?.seq ?? 0) + 65536) % 65536).toBe(1);
        expect((p.timestamp - (prev?.timestamp ?? 0) + 2 ** 32) % 2 ** 32).toBe(160);
      });
      ssrcs.push(rtp[0]?.ssrc ?? 0);
    }
    expect(ssrcs[0]).not.toBe(ssrcs[1]);
    expect(h.forwarder?.isDelivered(call.call.callId)).toBe(true);
    expect(h.forwarder?.forwards(call.call.callId).map((f) => f.state)).toEqual(["done"]);
  });

  it("transcodes µ-law recordings to A-law for a PCMA sink", async () => {
    const { h, srs } = await setup({ codec: "PCMA" });
    const call = recordCall(h, 10);
    call.end();
    await until(() => srs.packets(0, 0).length === 10, "ten packets");
    const rtp = srs.packets(0, 0).map(readRtp);
    expect(rtp[0]?.payloadType).toBe(8);
    expect(concatBytes(rtp.map((p) => p.payload))).toEqual(
      Uint8Array.from(alaw.encode(mulaw.decode(expected(0, 0, 10)))),
    );
  });

  it("offers sendonly labelled m-lines and our own metadata in a multipart INVITE with Require: siprec, +sip.src, session timers and the X-headers", async () => {
    const { h, srs } = await setup({
      xHeaders: { "X-Tenant": "acme" },
      caller: { name: "Alice Caller", user: "alice", label: "alice-leg" },
      sessionExpiresS: 120,
    });
    const call = recordCall(h, 2);
    await until(() => srs.sessions.length === 1, "the INVITE");
    const invite = srs.sessions[0]?.invite;
    if (!invite) throw new Error("no INVITE");
    expect(invite.header("require")).toBe("siprec");
    expect(invite.header("contact")).toMatch(/;\+sip\.src$/);
    expect(invite.header("x-tenant")).toBe("acme");
    expect(invite.header("supported")).toBe("timer");
    expect(invite.header("session-expires")).toBe("120");
    expect(invite.header("x-siprec-edge-replay")).toBeUndefined();
    expect(invite.header("content-type")).toMatch(/^multipart\/mixed;boundary=/);
    expect(invite.bodyText).toContain("Content-Disposition: recording-session");
    const body = splitRecordingBody(invite.header("content-type"), invite.body);
    expect(body.metadata?.contentType).toBe("application/rs-metadata+xml");
    const sdp = parseSdp(body.sdp);
    expect(
      sdp.media.map((m) => [m.direction, m.label, m.proto, m.formats.map((f) => f.payloadType)]),
    ).toEqual([
      ["sendonly", "alice-leg", "RTP/AVP", [0]],
      ["sendonly", "callee-leg", "RTP/AVP", [0]],
    ]);
    const metadata = parseMetadata(body.metadata?.xml ?? "");
    expect(metadata.streams.map((s) => s.label).sort()).toEqual(["alice-leg", "callee-leg"]);
    const caller = metadata.participants.find((p) => p.name === "Alice Caller");
    expect(caller?.aor).toBe("sip:alice@example.com");
    expect(body.metadata?.xml).not.toContain(REPLAY_NAMESPACE);
    call.end();
  });

  it("re-INVITEs a=inactive on pause and a=sendonly on resume, with the same labels and a new o= version", async () => {
    const { h, srs } = await setup();
    const call = recordCall(h, 2);
    await until(() => h.started.length === 1, "the forward session to start");
    h.forwarder?.recordingPaused(call.call.callId, true);
    await until(() => srs.sessions[0]?.reinvites.length === 1, "the pause re-INVITE");
    h.forwarder?.recordingPaused(call.call.callId, false);
    await until(() => srs.sessions[0]?.reinvites.length === 2, "the resume re-INVITE");
    const [paused, resumed] = (srs.sessions[0]?.reinvites ?? []).map((r) => parseSdp(r.bodyText));
    const initial = parseSdp(srs.sessions[0]?.offer ?? "");
    expect(paused?.media.map((m) => [m.direction, m.label])).toEqual([
      ["inactive", "caller-leg"],
      ["inactive", "callee-leg"],
    ]);
    expect(resumed?.media.map((m) => m.direction)).toEqual(["sendonly", "sendonly"]);
    expect([
      initial.origin.sessionVersion,
      paused?.origin.sessionVersion,
      resumed?.origin.sessionVersion,
    ]).toEqual([1, 2, 3]);
    expect(paused?.origin.sessionId).toBe(initial.origin.sessionId);
    call.end();
    await until(() => h.stopped.length === 1, "the end");
    expect(h.stopped[0]?.reason).toBe("call-ended");
  });

  it("answers the SRS's session-refresh re-INVITE with 200 and our current SDP (OpenSIPS #2167)", async () => {
    const { h, srs } = await setup();
    const call = recordCall(h, 2);
    await until(() => h.started.length === 1, "the forward session to start");
    const session = srs.sessions[0];
    if (!session) throw new Error("no session");
    const refresh = await srs.sendInDialog(
      session,
      "INVITE",
      session.offer.replace("a=sendonly", "a=recvonly"),
    );
    expect(refresh.status).toBe(200);
    expect(refresh.header("content-type")).toBe("application/sdp");
    expect(refresh.bodyText).toBe(session.offer);
    h.forwarder?.recordingPaused(call.call.callId, true);
    await until(() => session.reinvites.length === 1, "the pause re-INVITE");
    const whilePaused = await srs.sendInDialog(session, "INVITE");
    expect(whilePaused.status).toBe(200);
    expect(parseSdp(whilePaused.bodyText).media.map((m) => m.direction)).toEqual(["inactive", "inactive"]);
    expect(h.stopped).toEqual([]);
    call.end();
    await until(() => h.stopped.length === 1, "the end");
    expect(h.stopped[0]?.reason).toBe("call-ended");
  });

  it("ends only the forward session when the SRS sends BYE: the recording goes on and nothing more is owed", async () => {
    const { h, srs } = await setup();
    const call = recordCall(h, 5);
    await until(() => h.started.length === 1, "the forward session to start");
    const session = srs.sessions[0];
    if (!session) throw new Error("no session");
    expect((await srs.sendInDialog(session, "BYE")).status).toBe(200);
    await until(() => h.stopped.length === 1, "the stopped event");
    expect(h.stopped[0]?.reason).toBe("remote-bye");
    for (let k = 5; k < 15; k++) call.audio(0, testPayload(0, k));
    expect(h.spool.lastIdx(call.streams[0]?.streamId ?? 0)).toBe(15);
    call.end();
    expect(h.forwarder?.isDelivered(call.call.callId)).toBe(true);
    expect(srs.invites).toHaveLength(1);
    expect(h.forwarder?.forwards(call.call.callId)[0]?.state).toBe("done");
  });

  it("sends BYE at once on stop() and owes the sink nothing more", async () => {
    const { h, srs } = await setup();
    const call = recordCall(h, 5);
    await until(() => h.started.length === 1, "the forward session to start");
    h.forwarder?.stop(call.call.callId, "rec");
    await until(() => srs.sessions[0]?.ended === "bye", "our BYE");
    expect(h.stopped.map((s) => s.reason)).toEqual(["stopped"]);
    for (let k = 5; k < 10; k++) call.audio(0, testPayload(0, k));
    call.end();
    expect(h.forwarder?.isDelivered(call.call.callId)).toBe(true);
    expect(() => h.forwarder?.stop(call.call.callId, "rec")).toThrow(
      expect.objectContaining({ code: "SIPREC_FORWARD_NOT_STARTED" }),
    );
  });
});
