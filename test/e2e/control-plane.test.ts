import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  mediaPortRange,
  type RunningAppliance,
  type SpawnedProcess,
  spawnSiprecEdge,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { type EventSubscriber, subscribeEvents } from "../helpers/event-subscriber.ts";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.ts";
import { type CommandClient, connectCommandClient, watchStatus } from "../helpers/mqtt-commands.ts";
import { openRawSipPeer } from "../helpers/raw-sip.ts";
import { readReceivedCalls } from "../helpers/received-calls.ts";
import { runSippCall, type SippCallResult } from "../helpers/sipp.ts";

/**
 * Issue 4's acceptance for the control plane, against the compiled appliance, a real mosquitto,
 * real SIPp calls and `siprec-edge receive`: every command over MQTT 5 with its correlation data,
 * an expired command refused, the HTTP API's auth and errors, `/metrics` through promtool, drain,
 * and the retained status with its Last Will after `kill -9`.
 */
describe("the control plane", () => {
  const applianceId = "e2e-control";
  const token = "e2e-control-token-0123456789";
  let dir: string;
  let broker: MosquittoBroker;
  let receiver: SpawnedProcess;
  let appliance: RunningAppliance;
  let commands: CommandClient;
  let subscriber: EventSubscriber;
  let sipPort: number;
  let yaml: string;
  const auth = { authorization: `Bearer ${token}` };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-control-"));
    broker = await startMosquitto();
    subscriber = await subscribeEvents(broker.url, applianceId);
    commands = await connectCommandClient(broker.url, applianceId);
    const receiverPort = await freePort();
    receiver = spawnSiprecEdge([
      "receive",
      "--listen",
      `127.0.0.1:${receiverPort}`,
      "--out",
      join(dir, "received"),
    ]);
    sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    yaml = `appliance_id: ${applianceId}
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./var/spool.db }
sinks:
  - { name: ai, type: websocket, url: "ws://127.0.0.1:${receiverPort}/ai", mode: per-participant, format: PCMU/8000 }
  - { name: qa, type: websocket, url: "ws://127.0.0.1:${receiverPort}/qa", mode: interleaved, format: PCMU/8000 }
routing: { default_sinks: [ai] }
mqtt: { url: "${broker.url}" }
web: { listen: "127.0.0.1:${webPort}", auth: { token: ${token} } }
`;
    appliance = await startAppliance(dir, yaml, webPort);
  });

  afterAll(async () => {
    await appliance?.stop();
    await receiver?.stop();
    await commands?.close();
    await subscriber?.close();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const liveCall = () =>
    waitFor("a live call on the appliance", async () => {
      const status = (await (await fetch(`${appliance.webUrl}/api/status`, { headers: auth })).json()) as {
        calls: { live: Array<{ callId: string; sipCallId: string }> };
      };
      return status.calls.live[0];
    });

  const placeCall = (): Promise<SippCallResult> =>
    runSippCall({
      scenario: "siprec-uac-pcmu.xml",
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
      timeoutMs: 40_000,
    });

  it("answers every command over MQTT with the request's correlation data, and refuses what does not apply", async () => {
    const sipp = placeCall();
    const call = await liveCall();
    const send = async (name: string, params: unknown) => {
      const reply = await commands.send(name, params);
      expect(reply.correlation?.equals(reply.sentCorrelation)).toBe(true);
      return reply;
    };

    const status = await send("getStatus", {});
    expect(status.ok).toBe(true);
    expect((status.result as { calls: { live: unknown[] } }).calls.live).toHaveLength(1);
    const listed = await send("listCalls", { state: "live" });
    expect((listed.result as { calls: Array<{ sessionId: string }> }).calls.map((c) => c.sessionId)).toEqual([
      call.callId,
    ]);

    expect((await send("startStream", { sessionId: call.callId, sink: "qa" })).ok).toBe(true);
    expect((await send("startStream", { sessionId: call.callId, sink: "qa" })).error?.code).toBe(
      "ALREADY_STARTED",
    );
    expect((await send("startStream", { sessionId: call.callId, sink: "crm" })).error?.code).toBe(
      "NO_SUCH_SINK",
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const stopped = await send("stopStream", { correlationId: call.sipCallId, sink: "qa" });
    expect(stopped.ok).toBe(true);
    expect(stopped.result?.sinks).toEqual(
      expect.arrayContaining([expect.objectContaining({ sink: "qa", state: "stopped" })]),
    );
    expect((await send("stopStream", { sessionId: call.callId, sink: "qa" })).error?.code).toBe(
      "ALREADY_STOPPED",
    );

    expect((await send("pauseRecording", { sessionId: call.callId, reason: "PCI" })).ok).toBe(true);
    expect((await send("pauseRecording", { sessionId: call.callId })).error?.code).toBe("ALREADY_PAUSED");
    expect((await send("resumeRecording", { sessionId: call.callId })).ok).toBe(true);
    expect((await send("resumeRecording", { sessionId: call.callId })).error?.code).toBe("NOT_PAUSED");
    expect(
      (await send("pauseRecording", { sessionId: "0190f0f0-0000-7000-8000-000000000000" })).error?.code,
    ).toBe("NO_SUCH_CALL");
    const unknown = await send("startRecording", {});
    expect(unknown.error?.code).toBe("UNKNOWN_COMMAND");
    expect(unknown.error?.known).toEqual(expect.arrayContaining(["startStream", "drain"]));

    const configPath = join(dir, "config.yaml");
    await writeFile(configPath, "sip: { listen: [udp:nowhere] }\n");
    const refused = await send("reloadConfig", {});
    expect(refused.error?.code).toBe("CONFIG_INVALID");
    expect(refused.error?.message).toContain("sip.listen");
    await writeFile(configPath, yaml.replace("default_sinks: [ai]", "default_sinks: [ai, qa]"));
    const reloaded = await send("reloadConfig", {});
    expect(reloaded.result).toEqual({ applied: ["routing"], restartRequired: [] });

    const result = await sipp;
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const qa = await waitFor("the qa sink's session to close after its cut", async () => {
      const streams = (await readReceivedCalls(join(dir, "received"))).filter(
        (s) => s.callId === call.callId && s.label === "interleaved",
      );
      return streams[0]?.endReasons.includes("stopped") ? streams[0] : undefined;
    });
    expect(qa.channels).toBe(2);
    const seconds = qa.data.length / (8_000 * qa.channels);
    expect(seconds).toBeGreaterThan(2);
    expect(seconds).toBeLessThan(11);
    await waitFor("RECORDINGPAUSED and RECORDINGRESUMED by command on the broker", () =>
      subscriber.events.filter(
        (e) => e.sessionId === call.callId && e.event.startsWith("RECORDING") && e.body.reason === "command",
      ).length >= 4
        ? true
        : undefined,
    );
  }, 90_000);

  it("refuses a command past its expiresAt without running it", async () => {
    const reply = await commands.send(
      "drain",
      { expiresAt: new Date(Date.now() - 5_000).toISOString() },
      { expiryS: 60 },
    );
    expect(reply.ok).toBe(false);
    expect(reply.error?.code).toBe("EXPIRED");
    expect((await fetch(`${appliance.webUrl}/healthz`)).status).toBe(200);
  });

  it("serves the same commands over HTTP, and refuses the unauthenticated, the malformed and the unknown", async () => {
    const post = (name: string, body: string, headers: Record<string, string> = auth) =>
      fetch(`${appliance.webUrl}/api/commands/${name}`, { method: "POST", body, headers });

    expect((await post("drain", "{}", {})).status).toBe(401);
    expect((await fetch(`${appliance.webUrl}/api/status`)).status).toBe(401);
    expect((await fetch(`${appliance.webUrl}/healthz`)).status).toBe(200);

    const malformed = await post("listCalls", JSON.stringify({ limit: "many" }));
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { field: string } }).error.field).toBe("limit");

    const unknown = await post("reboot", "{}");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { known: string[] } }).error.known).toContain("getStatus");

    const status = await post("getStatus", "");
    expect(status.status).toBe(200);
    expect(((await status.json()) as { ok: boolean }).ok).toBe(true);
  });

  it("exposes /metrics that promtool accepts, with the call counted", async () => {
    expect((await fetch(`${appliance.webUrl}/metrics`)).status).toBe(401);
    const text = await (await fetch(`${appliance.webUrl}/metrics`, { headers: auth })).text();
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
    expect(text).toMatch(/^siprec_edge_calls_total 1$/m);
    expect(text).toMatch(/^siprec_edge_rtp_packets_received_total\{codec="PCMU"\} 1200$/m);
    expect(text).toMatch(/^siprec_edge_sip_responses_total\{code="200"\} \d+$/m);
    expect(text).toMatch(/^siprec_edge_sink_units\{sink="ai",state="open"\} \d+$/m);
  });

  it("drains: OPTIONS and INVITE get 503 while a live call finishes and is delivered, then DRAINED", async () => {
    const sipp = placeCall();
    const call = await liveCall();
    const reply = await commands.send("drain", {});
    expect(reply.result).toMatchObject({ state: "draining", liveCalls: 1 });

    const peer = await openRawSipPeer();
    try {
      peer.send(
        `OPTIONS sip:srs@127.0.0.1:${sipPort} SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-drain-1
Max-Forwards: 70
From: <sip:probe@127.0.0.1>;tag=p1
To: <sip:srs@127.0.0.1>
Call-ID: drain-options-1
CSeq: 1 OPTIONS
Content-Length: 0

`,
        sipPort,
      );
      const options = await peer.finalResponse("drain-options-1");
      expect(options.status).toBe(503);
      expect(options.header("retry-after")).toBeDefined();
    } finally {
      peer.close();
    }
    expect((await fetch(`${appliance.webUrl}/healthz`)).status).toBe(503);

    const result = await sipp;
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const drained = await waitFor(
      "DRAINED on the broker",
      () => subscriber.events.find((e) => e.event === "DRAINED"),
      30_000,
    );
    expect(drained.body.callsFinished).toBe(1);
    const delivered = (await readReceivedCalls(join(dir, "received"))).filter(
      (s) => s.callId === call.callId,
    );
    const sent = new Uint8Array(await readFile(result.sentFiles.mline1));
    expect(delivered.find((s) => s.label === "1")?.data.length).toBe(sent.length);

    expect((await commands.send("drain", { cancel: true })).result).toMatchObject({ state: "off" });
    expect((await fetch(`${appliance.webUrl}/healthz`)).status).toBe(200);
  }, 90_000);

  it("keeps its status retained, and the broker marks it offline when the process is killed", async () => {
    const status = await watchStatus(broker.url, applianceId);
    try {
      const online = await waitFor("the retained status", () => status.messages[0]);
      expect(online).toMatchObject({ state: "online", retained: true, applianceId });
      appliance.process.kill("SIGKILL");
      await appliance.exited;
      const offline = await waitFor("the Last Will", () =>
        status.messages.find((m) => m.state === "offline"),
      );
      expect(offline).toMatchObject({ state: "offline" });
    } finally {
      await status.close();
    }
  }, 30_000);
});
