import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  mediaPortRange,
  type RunningAppliance,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { type EventSubscriber, type ReceivedEvent, subscribeEvents } from "../helpers/event-subscriber.ts";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.ts";
import { type RunningReceiver, restartReceiver, sleep, startReceiver } from "../helpers/outage.ts";
import { readReceivedCalls } from "../helpers/received-calls.ts";
import { runSippLoad, type SippLoadResult } from "../helpers/sipp-load.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

const calls = 20;
const durationS = 60;

/**
 * Issue 3's WAN outage and broker outage acceptance, in one run of 20 concurrent 60 s SIPp calls:
 * - sink `cut` goes straight to a receiver that is stopped for 30 s in the middle (network cut);
 * - sink `stall` goes through a TCP proxy that stops reading for 30 s (back-pressure builds);
 * - mosquitto is stopped for 20 s.
 * Afterwards every frame of every call is in each receiver's output exactly once, in order and
 * byte-exact, with REPLAY flags on the backlog, and every event arrived once per eventSeq.
 */
describe("WAN and broker outages during 20 concurrent calls", () => {
  let dir: string;
  let broker: MosquittoBroker;
  let subscriber: EventSubscriber;
  let direct: RunningReceiver;
  let proxied: RunningReceiver;
  let proxy: TcpProxy;
  let appliance: RunningAppliance;
  let sipPort: number;
  let events: ReceivedEvent[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-wan-"));
    broker = await startMosquitto({ persistDir: join(dir, "mosquitto") });
    subscriber = await subscribeEvents(broker.url, "wan", "wan-outage-test");
    events = subscriber.events;
    direct = await startReceiver({ outDir: join(dir, "direct") });
    proxied = await startReceiver({ outDir: join(dir, "proxied") });
    proxy = await startTcpProxy({ target: { host: "127.0.0.1", port: proxied.port } });
    sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: wan
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./spool.db }
sinks:
  - { name: cut, type: websocket, url: "${direct.url}", mode: per-participant, format: PCMU/8000, replay: { max_rate: 0 } }
  - { name: stall, type: websocket, url: "ws://127.0.0.1:${proxy.port}/stream", mode: per-participant, format: PCMU/8000 }
mqtt: { url: "${broker.url}" }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
  });

  afterAll(async () => {
    await appliance?.stop();
    await direct?.stop();
    await proxied?.stop();
    await proxy?.close();
    await subscriber?.close();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers every frame once, in order, byte-exact, with REPLAY flags, and every event once", async () => {
    const load: Promise<SippLoadResult> = runSippLoad({
      calls,
      durationS,
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
    });
    await sleep(15_000);
    const receiverBack = restartReceiver(direct, { downMs: 30_000 });
    proxy.stall();
    await sleep(5_000);
    await broker.stop();
    await sleep(20_000);
    broker = await startMosquitto({ port: broker.port, persistDir: join(dir, "mosquitto") });
    await sleep(5_000);
    proxy.unstall();
    direct = await receiverBack;

    const sipp = await load;
    expect(sipp.callsSucceeded, sipp.stdout + sipp.stderr).toBe(calls);
    await waitFor(
      "every sink unit of every call to be delivered",
      async () => {
        const status = await appliance.status();
        const recent = status.calls.recent.filter((c) => c.state === "completed");
        const units = recent.flatMap((c) => c.sinks);
        return recent.length === calls && units.length === calls * 4 && units.every((u) => u.state === "done")
          ? true
          : undefined;
      },
      120_000,
    );

    for (const outDir of [direct.outDir, proxied.outDir]) {
      const received = await readReceivedCalls(outDir);
      expect(received).toHaveLength(calls * 2);
      for (const stream of received) {
        const sent = stream.label === "1" ? sipp.sentPayload.mline1 : sipp.sentPayload.mline2;
        expect(stream.contiguous, `${outDir} ${stream.sipCallId} label ${stream.label}`).toBe(true);
        expect(stream.gaps, `${stream.sipCallId} label ${stream.label}`).toEqual([]);
        expect(
          Buffer.from(stream.data).equals(Buffer.from(sent)),
          `${stream.sipCallId} label ${stream.label} bytes`,
        ).toBe(true);
      }
      expect(received.every((s) => s.replayRecords > 0)).toBe(true);
    }

    const sinkEvents = events.filter((e) => e.event.startsWith("SINK"));
    for (const sink of ["cut", "stall"]) {
      const names = new Set(
        sinkEvents
          .filter((e) => (e.body.sink ?? (e.body.unit as { sink?: string })?.sink) === sink)
          .map((e) => e.event),
      );
      expect([...names].sort(), `events of sink ${sink}`).toEqual(
        expect.arrayContaining(["SINKCAUGHTUP", "SINKDISCONNECTED"]),
      );
    }

    await waitFor("the last SESSIONCOMPLETED on the broker", () =>
      events.filter((e) => e.event === "SESSIONCOMPLETED").length >= calls ? true : undefined,
    );
    const seqs = [...new Set(events.map((e) => e.eventSeq))].sort((a, b) => a - b);
    const first = seqs[0] ?? 0;
    expect(seqs).toEqual(seqs.map((_, i) => first + i));
    expect(events.length - seqs.length, "duplicates (only events whose PUBACK was lost)").toBeLessThanOrEqual(
      10,
    );
    expect(new Set(events.filter((e) => e.event === "SESSIONCOMPLETED").map((e) => e.sessionId)).size).toBe(
      calls,
    );
  }, 300_000);
});
