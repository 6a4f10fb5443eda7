import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
import { readReceivedCalls } from "../helpers/received-calls.ts";
import { runSippCall } from "../helpers/sipp.ts";

/** EASP GAP reason 3: PAUSED_POLICY (EASP.md §6). */
const pausedPolicy = 3;
/** G.711 µ-law silence byte (what the receiver and the spool export write for a gap). */
const ulawSilence = 0xff;

/**
 * Issue 4's PCI pause acceptance: `pauseRecording` for 5 s in the middle of a real SIPp call.
 * The receiver gets the audio before and after, byte-exact, and one PAUSED_POLICY span of about
 * 5 s in between; the spool holds no audio of the paused span.
 */
describe("pauseRecording in the middle of a call", () => {
  let dir: string;
  let receiver: SpawnedProcess;
  let appliance: RunningAppliance;
  let sipPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-pause-"));
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
      `appliance_id: e2e-pause
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./var/spool.db }
sinks:
  - { name: ai, type: websocket, url: "ws://127.0.0.1:${receiverPort}/ai", mode: per-participant, format: PCMU/8000 }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
  });

  afterAll(async () => {
    await appliance?.stop();
    await receiver?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("neither stores nor forwards the paused span, and the receiver gets a PAUSED_POLICY gap of its length", async () => {
    const sipp = runSippCall({
      scenario: "siprec-uac-pcmu.xml",
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
      timeoutMs: 40_000,
    });
    const call = await waitFor("2 s of audio recorded", async () => {
      const live = (await appliance.status()).calls.live[0];
      return live?.streams.every((s) => s.framesSpooled >= 100) ? live : undefined;
    });
    const command = (name: string) =>
      fetch(`${appliance.webUrl}/api/commands/${name}`, {
        method: "POST",
        body: JSON.stringify({ sessionId: call.callId, reason: "PCI" }),
      });
    expect((await command("pauseRecording")).status).toBe(200);
    const pausedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect((await command("resumeRecording")).status).toBe(200);
    const pausedMs = performance.now() - pausedAt;
    const result = await sipp;
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);

    const sent: Record<string, Uint8Array> = {
      "1": new Uint8Array(await readFile(result.sentFiles.mline1)),
      "2": new Uint8Array(await readFile(result.sentFiles.mline2)),
    };
    const received = await waitFor("both streams delivered and closed", async () => {
      const streams = (await readReceivedCalls(join(dir, "received"))).filter(
        (s) => s.callId === call.callId,
      );
      return streams.length === 2 && streams.every((s) => s.endReasons.length > 0) ? streams : undefined;
    });
    for (const stream of received) {
      const audio = sent[stream.label] as Uint8Array;
      const paused = stream.gaps.filter((g) => g.reason === pausedPolicy);
      expect(paused.length).toBeGreaterThan(0);
      const firstPos = stream.parts[0]?.firstPos ?? 0;
      const from = (paused[0]?.pos ?? 0) - firstPos;
      const to = (paused.at(-1)?.pos ?? 0) + (paused.at(-1)?.durationSamples ?? 0) - firstPos;
      expect(paused.reduce((sum, g) => sum + g.durationSamples, 0)).toBe(to - from);
      expect(Math.abs((to - from) / 8 - pausedMs)).toBeLessThan(300);
      expect(stream.data.length).toBe(audio.length);
      expect(Buffer.from(stream.data.subarray(0, from)).equals(Buffer.from(audio.subarray(0, from)))).toBe(
        true,
      );
      expect(Buffer.from(stream.data.subarray(to)).equals(Buffer.from(audio.subarray(to)))).toBe(true);
      expect(stream.data.subarray(from, to).every((b) => b === ulawSilence)).toBe(true);
    }

    const stored = await spooledStreams(appliance.webUrl, call.callId);
    for (const stream of stored) {
      const frames = stream.audioFrames + stream.gapFrames;
      expect(frames).toBe(600);
      expect(Math.abs(stream.gapFrames * 20 - pausedMs)).toBeLessThan(300);
      const forwarded = received.find((r) => r.label === stream.label);
      expect(Buffer.from(stream.data).equals(Buffer.from(forwarded?.data ?? []))).toBe(true);
    }
  }, 90_000);
});
