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
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { readReceivedStreams } from "../helpers/received.ts";
import { runSippCall } from "../helpers/sipp.ts";

/**
 * Issue 4's routing acceptance: two sinks, and rules that send the calls of one SBC address to one
 * sink only. Two real SIPp calls at once, one from 127.0.0.2 and one from 127.0.0.3 (loopback
 * addresses any process can bind), each arrive at their own receiver only, byte-exact.
 */
describe("routing rules by SBC address", () => {
  let dir: string;
  const receivers: SpawnedProcess[] = [];
  let appliance: RunningAppliance;
  let sipPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-routing-"));
    const ports = [await freePort(), await freePort()];
    ports.forEach((port, i) => {
      receivers.push(
        spawnSiprecEdge(["receive", "--listen", `127.0.0.1:${port}`, "--out", join(dir, `received-${i}`)]),
      );
    });
    sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: e2e-routing
sip: { listen: ["udp:0.0.0.0:${sipPort}"] }
media: { address: 0.0.0.0, port_range: [${lo}, ${hi}], latch: true }
spool: { path: ./var/spool.db }
sinks:
  - { name: sales-ai, type: websocket, url: "ws://127.0.0.1:${ports[0]}/s", mode: per-participant, format: PCMU/8000 }
  - { name: care-ai, type: websocket, url: "ws://127.0.0.1:${ports[1]}/s", mode: per-participant, format: PCMU/8000 }
routing:
  rules:
    - { name: sbc-sales, match: { source: ["127.0.0.2/32"] }, sinks: [sales-ai] }
    - { name: sbc-care, match: { source: ["127.0.0.3/32"] }, sinks: [care-ai] }
  default_sinks: []
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
  });

  afterAll(async () => {
    await appliance?.stop();
    for (const r of receivers) await r.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers each SBC's call to its own sink only", async () => {
    const calls = await Promise.all(
      ["127.0.0.2", "127.0.0.3"].map((localIp) =>
        runSippCall({
          scenario: "siprec-uac-pcmu.xml",
          target: `127.0.0.1:${sipPort}`,
          transport: "udp",
          localIp,
          timeoutMs: 40_000,
        }),
      ),
    );
    for (const call of calls) expect(call.exitCode, call.stdout + call.stderr).toBe(0);
    const sent: Record<string, Uint8Array> = {
      "1": new Uint8Array(await readFile(calls[0]?.sentFiles.mline1 ?? "")),
      "2": new Uint8Array(await readFile(calls[0]?.sentFiles.mline2 ?? "")),
    };
    await waitFor("both calls delivered", async () => {
      const recent = (await appliance.status()).calls.recent;
      return recent.length === 2 &&
        recent.every((c) => c.sinks.length === 2 && c.sinks.every((u) => u.state === "done"))
        ? true
        : undefined;
    });
    const recent = (await appliance.status()).calls.recent;
    const callOf = (ip: string) => recent.find((c) => c.source.startsWith(`${ip}:`));
    for (const [i, ip] of ["127.0.0.2", "127.0.0.3"].entries()) {
      const call = callOf(ip);
      expect(call?.sinks.map((u) => u.sink)).toEqual([
        i === 0 ? "sales-ai" : "care-ai",
        i === 0 ? "sales-ai" : "care-ai",
      ]);
      const received = await readReceivedStreams(join(dir, `received-${i}`));
      expect(received.map((r) => r.callId)).toEqual([call?.callId, call?.callId]);
      for (const r of received)
        expect(Buffer.from(r.data).equals(Buffer.from(sent[r.label] as Uint8Array))).toBe(true);
    }
  }, 90_000);
});

/**
 * The new-call webhook through the appliance: the customer application answers after 300 ms with
 * its own choice of sink, which overrides the rules; the call's audio, recorded meanwhile, reaches
 * that sink byte-exact from its first frame.
 */
describe("the new-call webhook", () => {
  let dir: string;
  const receivers: SpawnedProcess[] = [];
  let appliance: RunningAppliance;
  let webhook: ReturnType<typeof Bun.serve>;
  const notices: Array<Record<string, unknown>> = [];
  let sipPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-webhook-"));
    const ports = [await freePort(), await freePort()];
    ports.forEach((port, i) => {
      receivers.push(
        spawnSiprecEdge(["receive", "--listen", `127.0.0.1:${port}`, "--out", join(dir, `received-${i}`)]),
      );
    });
    webhook = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (req) => {
        notices.push((await req.json()) as Record<string, unknown>);
        await new Promise((resolve) => setTimeout(resolve, 300));
        return Response.json({ startStream: [{ sink: "care-ai" }] });
      },
    });
    sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: e2e-webhook
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./var/spool.db }
sinks:
  - { name: sales-ai, type: websocket, url: "ws://127.0.0.1:${ports[0]}/s", mode: per-participant, format: PCMU/8000 }
  - { name: care-ai, type: websocket, url: "ws://127.0.0.1:${ports[1]}/s", mode: per-participant, format: PCMU/8000 }
routing:
  default_sinks: [sales-ai]
  new_call_webhook: { url: "http://127.0.0.1:${webhook.port}/new-call", timeout: 2s }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
  });

  afterAll(async () => {
    await appliance?.stop();
    for (const r of receivers) await r.stop();
    await webhook?.stop(true);
    await rm(dir, { recursive: true, force: true });
  });

  it("routes the call where the customer application's answer says, from its first frame", async () => {
    const call = await runSippCall({
      scenario: "siprec-uac-pcmu.xml",
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
      timeoutMs: 40_000,
    });
    expect(call.exitCode, call.stdout + call.stderr).toBe(0);
    const done = await waitFor("the call delivered", async () => {
      const recent = (await appliance.status()).calls.recent[0];
      return recent && recent.sinks.length === 2 && recent.sinks.every((u) => u.state === "done")
        ? recent
        : undefined;
    });
    expect(done.sinks.map((u) => u.sink)).toEqual(["care-ai", "care-ai"]);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ sessionId: done.callId, sipCallId: done.sipCallId });
    expect(notices[0]?.streams).toHaveLength(2);
    expect(await readReceivedStreams(join(dir, "received-0"))).toEqual([]);
    const received = await readReceivedStreams(join(dir, "received-1"));
    expect(received.map((r) => r.label).sort()).toEqual(["1", "2"]);
    for (const r of received) {
      const sent = await readFile(r.label === "1" ? call.sentFiles.mline1 : call.sentFiles.mline2);
      expect(Buffer.from(r.data).equals(sent)).toBe(true);
    }
  }, 90_000);
});
