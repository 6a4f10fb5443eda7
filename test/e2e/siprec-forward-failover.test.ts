import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alaw, mulaw } from "alawmulaw";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  freePort,
  mediaPortRange,
  type RunningAppliance,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server.ts";
import { type EventSubscriber, subscribeEvents } from "../helpers/event-subscriber.ts";
import { readForwardMetadata } from "../helpers/forward-metadata.ts";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.ts";
import { type RemoteSrs, type RemoteSrsInvite, startRemoteSrs } from "../helpers/remote-srs.ts";
import { validateMetadata } from "../helpers/sdp-text.ts";
import { runSippLoad, type SippLoadResult } from "../helpers/sipp-load.ts";

/** What a 4 s SIPp call sent, per label, transcoded to PCMA as the sinks ask. */
function sentAsPcma(call: SippLoadResult): Record<string, Buffer> {
  return {
    "1": Buffer.from(alaw.encode(mulaw.decode(call.sentPayload.mline1))),
    "2": Buffer.from(alaw.encode(mulaw.decode(call.sentPayload.mline2))),
  };
}

/**
 * Issue 5's failover and store-and-forward acceptance (RFC 3263 §4.3), against the compiled appliance
 * with a real DNS server (dnsmasq serving SRV records, `sip.dns_servers`), remote SRSs played by the
 * project's own SIP stack, real SIPp calls (4 s, PCMU) and a real mosquitto. Two calls at once, from two
 * SBC addresses routed to two sinks:
 * - `compliance` (`sip:srs.test;transport=udp`): the first SRV target answers OPTIONS but refuses the
 *   INVITE with 503, the second takes the session;
 * - `archive` (`sip:archive.test;transport=tcp`): both SRV targets are down (nothing listens) during
 *   the call; once the second is back, the recording goes to it as a replay session, marked as such,
 *   every frame once.
 */
describe("SIPREC forwarding failover across SRV targets, and replay after an outage", () => {
  const applianceId = "e2e-forward-failover";
  let dir: string;
  let dns: TestDnsServer;
  let broker: MosquittoBroker;
  let subscriber: EventSubscriber;
  let appliance: RunningAppliance;
  let sipPort: number;
  const srs: Record<"udpFirst" | "udpSecond" | "tcpFirst" | "tcpSecond", RemoteSrs | undefined> = {
    udpFirst: undefined,
    udpSecond: undefined,
    tcpFirst: undefined,
    tcpSecond: undefined,
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-forward-failover-"));
    srs.udpFirst = await startRemoteSrs({ transport: "udp", mode: "refuse" });
    srs.udpSecond = await startRemoteSrs({ transport: "udp" });
    srs.tcpFirst = await startRemoteSrs({ transport: "tcp" });
    srs.tcpSecond = await startRemoteSrs({ transport: "tcp" });
    await srs.tcpFirst.stop();
    await srs.tcpSecond.stop();
    const srv = (name: string, target: string, port: number, priority: number) => ({
      name,
      target,
      port,
      priority,
      weight: 0,
    });
    dns = await startDnsServer({
      srv: [
        srv("_sip._udp.srs.test", "a.srs.test", srs.udpFirst.port, 10),
        srv("_sip._udp.srs.test", "b.srs.test", srs.udpSecond.port, 20),
        srv("_sip._tcp.archive.test", "a.archive.test", srs.tcpFirst.port, 10),
        srv("_sip._tcp.archive.test", "b.archive.test", srs.tcpSecond.port, 20),
      ],
      hosts: Object.fromEntries(
        ["a.srs.test", "b.srs.test", "a.archive.test", "b.archive.test"].map((h) => [h, ["127.0.0.1"]]),
      ),
    });
    broker = await startMosquitto();
    subscriber = await subscribeEvents(broker.url, applianceId);
    sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: ${applianceId}
sip: { listen: ["udp:127.0.0.1:${sipPort}"], dns_servers: ["127.0.0.1:${dns.port}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}], latch: true }
spool: { path: ./var/spool.db }
sinks:
  - name: compliance
    type: siprec
    uri: "sip:srs.test;transport=udp"
    codec: PCMA/8000
    options_ping: 1s
    replay: { max_rate: 4, max_concurrent: 2 }
  - name: archive
    type: siprec
    uri: "sip:archive.test;transport=tcp"
    codec: PCMA/8000
    options_ping: 1s
    replay: { max_rate: 4, max_concurrent: 2 }
routing:
  rules:
    - { name: sbc-a, match: { source: ["127.0.0.2/32"] }, sinks: [compliance] }
    - { name: sbc-b, match: { source: ["127.0.0.3/32"] }, sinks: [archive] }
  default_sinks: []
mqtt: { url: "${broker.url}" }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
  });

  afterAll(async () => {
    await appliance?.stop();
    for (const remote of Object.values(srs)) await remote?.close();
    await subscriber?.close();
    await broker?.stop();
    await dns?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const placeCall = (localIp: string): Promise<SippLoadResult> =>
    runSippLoad({
      calls: 1,
      durationS: 4,
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
      localIp,
      byeMarginMs: 1_500,
    });

  const callFrom = (localIp: string) =>
    waitFor(`a call from ${localIp}`, async () => {
      const { live, recent } = (await appliance.status()).calls;
      return [...live, ...recent].find((c) => c.source.startsWith(`${localIp}:`));
    });

  const forwardEvents = (callId: string) =>
    subscriber.events.filter((e) => e.sessionId === callId && e.event.startsWith("SIPRECFORWARD"));

  /** Checks every m-line's capture against what the call sent: each frame once, byte for byte. */
  const expectAudio = (
    expect: typeof import("vitest").expect,
    invite: RemoteSrsInvite,
    sent: Record<string, Buffer>,
  ) => {
    if (invite.offer instanceof Error) throw invite.offer;
    expect(invite.captures).toHaveLength(2);
    invite.offer.sdp.media.forEach((m, i) => {
      const received = invite.captures[i]?.read();
      expect(m.label && sent[m.label]).toBeTruthy();
      expect([received?.packets, received?.duplicates, received?.missing]).toEqual([200, 0, 0]);
      expect(received?.payloadTypes).toEqual([8]);
      expect(Buffer.from(received?.payload ?? []).equals(sent[m.label ?? ""] ?? Buffer.alloc(0))).toBe(true);
    });
  };

  it.concurrent("takes the second SRV target when the first refuses the INVITE with 503", async ({
    expect,
  }) => {
    const first = srs.udpFirst as RemoteSrs;
    const second = srs.udpSecond as RemoteSrs;
    const sipp = await placeCall("127.0.0.2");
    expect(sipp.exitCode, sipp.stdout + sipp.stderr).toBe(0);
    const call = await callFrom("127.0.0.2");
    const events = await waitFor("SIPRECFORWARDSTOPPED for compliance", () => {
      const all = forwardEvents(call.callId);
      return all.some((e) => e.event === "SIPRECFORWARDSTOPPED") ? all : undefined;
    });

    expect(first.invites.map((i) => i.status)).toEqual([503]);
    expect(second.invites.map((i) => i.status)).toEqual([200]);
    expect(first.options()).toBeGreaterThan(0);
    expect(events.map((e) => [e.event, e.body.target, e.body.reason])).toEqual([
      ["SIPRECFORWARDSTARTED", `udp:127.0.0.1:${second.port}`, undefined],
      ["SIPRECFORWARDSTOPPED", `udp:127.0.0.1:${second.port}`, "call-ended"],
    ]);
    const [invite] = second.invites;
    if (!invite) throw new Error("no INVITE at the second target");
    expect(invite.message.startLine).toBe("INVITE sip:srs.test;transport=udp SIP/2.0");
    expect(invite.message.header("x-siprec-edge-replay")).toBeUndefined();
    expect(invite.ended).toBe(true);
    expectAudio(expect, invite, sentAsPcma(sipp));
  }, 60_000);

  it.concurrent("replays the recording to the target that comes back after both were down, marked as a replay, every frame once", async ({
    expect,
  }) => {
    const first = srs.tcpFirst as RemoteSrs;
    const second = srs.tcpSecond as RemoteSrs;
    const sipp = await placeCall("127.0.0.3");
    expect(sipp.exitCode, sipp.stdout + sipp.stderr).toBe(0);
    const call = await callFrom("127.0.0.3");
    const sessionStarted = await waitFor("SESSIONSTARTED and SESSIONCOMPLETED", () => {
      const mine = subscriber.events.filter((e) => e.sessionId === call.callId);
      return mine.some((e) => e.event === "SESSIONCOMPLETED")
        ? mine.find((e) => e.event === "SESSIONSTARTED")
        : undefined;
    });
    const failed = forwardEvents(call.callId).filter((e) => e.event === "SIPRECFORWARDFAILED");
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]?.body).toMatchObject({ sink: "archive", status: 503 });
    expect(forwardEvents(call.callId).filter((e) => e.event === "SIPRECFORWARDSTARTED")).toEqual([]);
    expect(first.invites).toEqual([]);
    expect(second.invites).toEqual([]);

    await second.restart();
    const stopped = await waitFor(
      "the replay session's SIPRECFORWARDSTOPPED",
      () => forwardEvents(call.callId).find((e) => e.event === "SIPRECFORWARDSTOPPED"),
      30_000,
    );
    const originalStart = String(sessionStarted.body.startedAt);
    expect(stopped.body).toMatchObject({ sink: "archive", reason: "replay-done" });
    const replay = stopped.body.replay as { originalStart: string; spanStart: string; spanEnd: string };
    expect(replay.originalStart).toBe(originalStart);
    const spanMs = Date.parse(replay.spanEnd) - Date.parse(replay.spanStart);
    expect(Date.parse(replay.spanStart)).toBeGreaterThanOrEqual(Date.parse(originalStart));
    expect(spanMs).toBeGreaterThan(3_500);
    expect(spanMs).toBeLessThan(6_000);
    const started = forwardEvents(call.callId).find((e) => e.event === "SIPRECFORWARDSTARTED");
    expect(started?.body).toMatchObject({ target: `tcp:127.0.0.1:${second.port}`, replay });

    expect(first.invites).toEqual([]);
    expect(second.invites.map((i) => i.status)).toEqual([200]);
    const [invite] = second.invites;
    if (!invite || invite.offer instanceof Error) throw invite?.offer ?? new Error("no replay INVITE");
    expect(invite.message.header("x-siprec-edge-replay")).toBe(originalStart);
    const validation = validateMetadata(invite.offer.metadata);
    expect(validation.output).toContain("validates");
    expect(readForwardMetadata(invite.offer.metadata).replay).toEqual({
      originalStart,
      spanStart: replay.spanStart,
      spanEnd: replay.spanEnd,
      sourceSession: call.callId,
    });
    expect(invite.ended).toBe(true);
    expectAudio(expect, invite, sentAsPcma(sipp));
  }, 60_000);
});
