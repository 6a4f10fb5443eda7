import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alaw, mulaw } from "alawmulaw";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  freePort,
  mediaPortRange,
  type RunningAppliance,
  spooledStreams,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { type EventSubscriber, subscribeEvents } from "../helpers/event-subscriber.ts";
import { readForwardMetadata } from "../helpers/forward-metadata.ts";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.ts";
import { openRtpCapture, type RtpCapture } from "../helpers/rtp-capture.ts";
import { parseSdpText, readRecordingOffer, validateMetadata } from "../helpers/sdp-text.ts";
import { runSippCall, type SippCallResult } from "../helpers/sipp.ts";
import { type SippSrs, startSippSrs } from "../helpers/sipp-srs.ts";

/**
 * Issue 5's acceptance for SIPREC forwarding against SIPp playing the remote SRS (UDP), with the
 * compiled appliance, real SIPp SRC calls and a real mosquitto. Two calls run at once, from two SBC
 * addresses:
 * - 127.0.0.2 is routed by rule to `compliance` (`srs-uas-answer.xml`): the multipart INVITE, our own
 *   metadata and X-headers, and the call's PCMU audio transcoded to PCMA byte for byte;
 * - 127.0.0.3 is forwarded by the `startSIPRecForward` command to `quality`
 *   (`srs-uas-refresh-bye.xml`), whose SRS refreshes the session (re-INVITE with and without SDP)
 *   and then hangs up: only the forward session ends, the recording goes on.
 */
describe("SIPREC forwarding to a SIPp SRS", () => {
  const applianceId = "e2e-forward-sipp";
  let dir: string;
  let broker: MosquittoBroker;
  let subscriber: EventSubscriber;
  let appliance: RunningAppliance;
  let sipPort: number;
  const captures: Record<"compliance" | "quality", RtpCapture[]> = { compliance: [], quality: [] };
  const srs: Partial<Record<"compliance" | "quality", SippSrs>> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-forward-sipp-"));
    broker = await startMosquitto();
    subscriber = await subscribeEvents(broker.url, applianceId);
    for (const sink of ["compliance", "quality"] as const) {
      captures[sink] = [await openRtpCapture(), await openRtpCapture()];
      srs[sink] = await startSippSrs({
        scenario: sink === "compliance" ? "srs-uas-answer.xml" : "srs-uas-refresh-bye.xml",
        keys: { rtp1: captures[sink][0]?.port ?? 0, rtp2: captures[sink][1]?.port ?? 0 },
        timeoutMs: 60_000,
      });
    }
    sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: ${applianceId}
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}], latch: true }
spool: { path: ./var/spool.db }
srs: { agent_labels: ["1"] }
sinks:
  - name: compliance
    type: siprec
    uri: "sip:127.0.0.1:${srs.compliance?.port}"
    codec: PCMA/8000
    x_headers: { X-Tenant: acme, X-Recording-Policy: full }
    caller: { name: Jane Customer }
    called_party: { name: Agent Smith }
    options_ping: 0
  - name: quality
    type: siprec
    uri: "sip:127.0.0.1:${srs.quality?.port}"
    codec: PCMU/8000
    options_ping: 0
routing:
  rules:
    - { name: sbc-compliance, match: { source: ["127.0.0.2/32"] }, sinks: [compliance] }
  default_sinks: []
mqtt: { url: "${broker.url}" }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
  });

  afterAll(async () => {
    await appliance?.stop();
    for (const s of Object.values(srs)) await s?.stop();
    for (const c of [...captures.compliance, ...captures.quality]) await c.close();
    await subscriber?.close();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const placeCall = (localIp: string): Promise<SippCallResult> =>
    runSippCall({
      scenario: "siprec-uac-pcmu.xml",
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
      localIp,
      timeoutMs: 40_000,
    });

  const callFrom = (localIp: string, where: "live" | "recent") =>
    waitFor(`a ${where} call from ${localIp}`, async () =>
      (await appliance.status()).calls[where].find((c) => c.source.startsWith(`${localIp}:`)),
    );

  const sentAudio = async (call: SippCallResult): Promise<Record<string, Uint8Array>> => ({
    "1": new Uint8Array(await readFile(call.sentFiles.mline1)),
    "2": new Uint8Array(await readFile(call.sentFiles.mline2)),
  });

  it.concurrent("sends the remote SRS a SIPREC INVITE of its own and the call's audio, transcoded to PCMA byte for byte", async ({
    expect,
  }) => {
    const sipp = await placeCall("127.0.0.2");
    expect(sipp.exitCode, sipp.stdout + sipp.stderr).toBe(0);
    const remote = await (srs.compliance as SippSrs).finished;
    expect(remote.exitCode, remote.stderr).toBe(0);
    const call = await callFrom("127.0.0.2", "recent");

    const [invite, ...more] = remote.received("INVITE");
    expect(more).toEqual([]);
    if (!invite) throw new Error("the SRS got no INVITE");
    expect(invite.startLine).toBe(`INVITE sip:127.0.0.1:${srs.compliance?.port} SIP/2.0`);
    expect(invite.header("require")?.split(/\s*,\s*/)).toContain("siprec");
    expect(invite.header("contact")).toMatch(
      new RegExp(`^<sip:src@127\\.0\\.0\\.1:${sipPort}[;>].*;\\+sip\\.src`),
    );
    expect(invite.header("x-tenant")).toBe("acme");
    expect(invite.header("x-recording-policy")).toBe("full");
    expect(invite.header("x-siprec-edge-replay")).toBeUndefined();
    expect(invite.header("call-id")).not.toBe(call.sipCallId);

    const offer = readRecordingOffer(invite);
    expect(offer.sdp.media.map((m) => [m.kind, m.proto, m.formats, m.rtpmap[8], m.direction])).toEqual([
      ["audio", "RTP/AVP", [8], "PCMA/8000", "sendonly"],
      ["audio", "RTP/AVP", [8], "PCMA/8000", "sendonly"],
    ]);
    expect(offer.sdp.media.map((m) => m.label)).toEqual(["1", "2"]);
    expect(offer.metadataDisposition).toMatch(/^recording-session/);
    const validation = validateMetadata(offer.metadata);
    expect(validation.output).toContain("validates");
    expect(validation.status).toBe(0);
    const metadata = readForwardMetadata(offer.metadata);
    expect(metadata.streamLabels).toEqual(["1", "2"]);
    expect(metadata.replay).toBeUndefined();
    expect(metadata.participants.map((p) => [p.name, p.sendsLabels])).toEqual(
      expect.arrayContaining([
        ["Agent Smith", ["1"]],
        ["Jane Customer", ["2"]],
      ]),
    );
    expect(remote.received("BYE")).toHaveLength(1);

    const sent = await sentAudio(sipp);
    offer.sdp.media.forEach((m, i) => {
      const received = captures.compliance[i]?.read();
      const expected = alaw.encode(mulaw.decode(sent[m.label ?? ""] ?? new Uint8Array()));
      expect(received?.payloadTypes).toEqual([8]);
      expect(received?.ssrcs).toHaveLength(1);
      expect([received?.packets, received?.duplicates, received?.missing]).toEqual([600, 0, 0]);
      expect(received?.timestampSteps).toEqual([160]);
      expect(Buffer.from(received?.payload ?? []).equals(Buffer.from(expected))).toBe(true);
    });

    const forwardEvents = await waitFor("SIPRECFORWARDSTOPPED for compliance", () => {
      const events = subscriber.events.filter(
        (e) => e.sessionId === call.callId && e.event.startsWith("SIPRECFORWARD"),
      );
      return events.some((e) => e.event === "SIPRECFORWARDSTOPPED") ? events : undefined;
    });
    expect(forwardEvents.map((e) => [e.event, e.body.sink, e.body.reason])).toEqual([
      ["SIPRECFORWARDSTARTED", "compliance", undefined],
      ["SIPRECFORWARDSTOPPED", "compliance", "call-ended"],
    ]);
    expect(forwardEvents[0]?.body).toMatchObject({
      target: `udp:127.0.0.1:${srs.compliance?.port}`,
      sipCallId: invite.header("call-id"),
      replay: null,
    });
  }, 60_000);

  it.concurrent("answers the SRS's session-refresh re-INVITEs, and its BYE ends only the forward session", async ({
    expect,
  }) => {
    const sippRun = placeCall("127.0.0.3");
    const live = await callFrom("127.0.0.3", "live");
    const reference = { ticket: "T-42", agentDesk: 7 };
    const started = await fetch(`${appliance.webUrl}/api/commands/startSIPRecForward`, {
      method: "POST",
      body: JSON.stringify({ sessionId: live.callId, sink: "quality", reference }),
    });
    expect(started.status, await started.clone().text()).toBe(200);
    expect(((await started.json()) as { ok: boolean }).ok).toBe(true);

    const remote = await (srs.quality as SippSrs).finished;
    expect(remote.exitCode, remote.stderr).toBe(0);
    const [invite] = remote.received("INVITE");
    if (!invite) throw new Error("the SRS got no INVITE");
    const offer = readRecordingOffer(invite).sdp;
    // One 200 per refresh (a retransmitted 200 repeats its CSeq).
    const refreshAnswers = [
      ...new Map(
        remote
          .responsesTo("INVITE")
          .filter((r) => r.status === 200)
          .map((r) => [r.header("cseq"), r]),
      ).values(),
    ];
    expect(refreshAnswers).toHaveLength(2);
    for (const answer of refreshAnswers) {
      expect(answer.header("content-type")).toMatch(/^application\/sdp/);
      expect(answer.header("session-expires")).toMatch(/^90\b.*refresher=uac/);
      const sdp = parseSdpText(answer.body);
      expect(sdp.origin.sessionId).toBe(offer.origin.sessionId);
      expect(Number(sdp.origin.version)).toBeGreaterThanOrEqual(Number(offer.origin.version));
      expect(sdp.media.map((m) => [m.port, m.proto, m.formats, m.label, m.direction])).toEqual(
        offer.media.map((m) => [m.port, "RTP/AVP", [0], m.label, "sendonly"]),
      );
    }

    const stopped = await waitFor("SIPRECFORWARDSTOPPED for quality", () =>
      subscriber.events.find(
        (e) => e.sessionId === live.callId && e.event === "SIPRECFORWARDSTOPPED" && e.body.sink === "quality",
      ),
    );
    expect(stopped.body).toMatchObject({
      reason: "remote-bye",
      reference,
      sipCallId: invite.header("call-id"),
    });
    const startedEvent = subscriber.events.find(
      (e) => e.sessionId === live.callId && e.event === "SIPRECFORWARDSTARTED",
    );
    expect(startedEvent?.body).toMatchObject({ sink: "quality", reference });

    const sipp = await sippRun;
    expect(sipp.exitCode, sipp.stdout + sipp.stderr).toBe(0);
    await waitFor("SESSIONCOMPLETED of the call", () =>
      subscriber.events.find((e) => e.sessionId === live.callId && e.event === "SESSIONCOMPLETED"),
    );
    const sent = await sentAudio(sipp);
    const spooled = await spooledStreams(appliance.webUrl, live.callId);
    expect(spooled.map((s) => [s.label, s.audioFrames, s.gapFrames])).toEqual([
      ["1", 600, 0],
      ["2", 600, 0],
    ]);
    for (const s of spooled) expect(Buffer.from(s.data).equals(Buffer.from(sent[s.label] ?? []))).toBe(true);

    offer.media.forEach((m, i) => {
      const received = captures.quality[i]?.read();
      const whole = sent[m.label ?? ""] ?? new Uint8Array();
      expect(received?.packets).toBeGreaterThan(0);
      expect(received?.packets).toBeLessThan(600);
      expect(received?.payloadTypes).toEqual([0]);
      const prefix = whole.subarray(0, received?.payload.length ?? 0);
      expect(Buffer.from(received?.payload ?? []).equals(Buffer.from(prefix))).toBe(true);
    });
    const recent = await callFrom("127.0.0.3", "recent");
    const status = (await appliance.status()) as unknown as {
      calls: { recent: Array<{ callId: string; forwards: Array<{ sink: string; state: string }> }> };
    };
    const forwards = status.calls.recent.find((c) => c.callId === recent.callId)?.forwards ?? [];
    expect(forwards.map((f) => [f.sink, f.state])).toEqual([["quality", "done"]]);
  }, 60_000);
});
