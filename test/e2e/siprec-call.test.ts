import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alaw, mulaw } from "alawmulaw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  mediaPortRange,
  type RunningAppliance,
  type SpawnedProcess,
  spawnSiprecEdge,
  spooledStreams,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { type EventSubscriber, subscribeEvents } from "../helpers/event-subscriber.ts";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.ts";
import { readReceivedStreams } from "../helpers/received.ts";
import { runSippCall } from "../helpers/sipp.ts";

/**
 * The acceptance: a real SIPp SIPREC call (two labelled sendonly m-lines + RFC 7865
 * metadata, 12 s of speech per m-line, BYE) to the compiled appliance, which spools every frame and
 * streams it to `siprec-edge receive` (per participant, G.711 and L16) while a real mosquitto gets
 * the events. Run over UDP with PCMU and over TCP with PCMA.
 */
describe.each([
  { transport: "udp" as const, codec: "PCMU" as const, scenario: "siprec-uac-pcmu.xml", file: "ulaw" },
  { transport: "tcp" as const, codec: "PCMA" as const, scenario: "siprec-uac-pcma.xml", file: "alaw" },
])("a SIPREC call over $transport with $codec", ({ transport, codec, scenario }) => {
  const applianceId = `e2e-${transport}`;
  let dir: string;
  let broker: MosquittoBroker;
  let receiver: SpawnedProcess;
  let appliance: RunningAppliance;
  let sipPort: number;
  let subscriber: EventSubscriber;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-e2e-"));
    broker = await startMosquitto();
    subscriber = await subscribeEvents(broker.url, applianceId);
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
    appliance = await startAppliance(
      dir,
      `appliance_id: ${applianceId}
sip: { listen: ["udp:127.0.0.1:${sipPort}", "tcp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./var/spool.db }
sinks:
  - { name: ai, type: websocket, url: "ws://127.0.0.1:${receiverPort}/stream", protocol: easp, mode: per-participant, format: ${codec}/8000 }
  - { name: pcm, type: websocket, url: "ws://127.0.0.1:${receiverPort}/stream", protocol: easp, mode: per-participant, format: L16/8000 }
mqtt: { url: "${broker.url}" }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
  });

  afterAll(async () => {
    await appliance?.stop();
    await receiver?.stop();
    await subscriber?.close();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("records, spools and forwards every G.711 byte SIPp sent, and publishes the call's events in order", async () => {
    const call = await runSippCall({
      scenario,
      target: `127.0.0.1:${sipPort}`,
      transport,
      timeoutMs: 40_000,
    });
    expect(call.exitCode, call.stdout + call.stderr).toBe(0);
    const sent = {
      "1": new Uint8Array(await readFile(call.sentFiles.mline1)),
      "2": new Uint8Array(await readFile(call.sentFiles.mline2)),
    };

    const done = await waitFor("every sink unit to be delivered", async () => {
      const status = await appliance.status();
      const recent = status.calls.recent[0];
      return recent && recent.sinks.length === 4 && recent.sinks.every((u) => u.state === "done")
        ? recent
        : undefined;
    });
    expect(done.state).toBe("completed");
    expect(done.streams.map((s) => [s.label, s.codec, s.packetsReceived, s.packetsLost])).toEqual([
      ["1", codec, 600, 0],
      ["2", codec, 600, 0],
    ]);

    const received = await readReceivedStreams(join(dir, "received"));
    const passthrough = received.filter((r) => r.format === codec);
    const linear = received.filter((r) => r.format === "L16");
    expect(passthrough.map((r) => r.label).sort()).toEqual(["1", "2"]);
    expect(linear.map((r) => r.label).sort()).toEqual(["1", "2"]);
    const decode = codec === "PCMU" ? mulaw.decode : alaw.decode;
    for (const r of passthrough)
      expect(Buffer.from(r.data).equals(Buffer.from(sent[r.label as "1" | "2"]))).toBe(true);
    for (const r of linear) {
      expect(Array.from(new Int16Array(r.data.buffer, r.data.byteOffset, r.data.byteLength / 2))).toEqual(
        Array.from(decode(sent[r.label as "1" | "2"])),
      );
    }

    const stored = await spooledStreams(appliance.webUrl, done.callId);
    expect(stored.map((r) => [r.label, r.audioFrames, r.gapFrames])).toEqual([
      ["1", 600, 0],
      ["2", 600, 0],
    ]);
    for (const r of stored)
      expect(Buffer.from(r.data).equals(Buffer.from(sent[r.label as "1" | "2"]))).toBe(true);

    await waitFor("SESSIONCOMPLETED on the broker", () =>
      subscriber.events.some((e) => e.event === "SESSIONCOMPLETED") ? true : undefined,
    );
    const callEvents = subscriber.events.filter(
      (e) => e.sessionId === done.callId && !e.event.startsWith("SINK"),
    );
    expect(callEvents.map((e) => e.event)).toEqual([
      "SESSIONSTARTED",
      "STREAMSTARTED",
      "STREAMSTARTED",
      "STREAMSTOPPED",
      "STREAMSTOPPED",
      "SESSIONCOMPLETED",
    ]);
    expect(callEvents.map((e) => e.topic)).toEqual(
      callEvents.map((e) => `siprec-edge/v1/${applianceId}/events/${e.event}`),
    );
  }, 90_000);
});
