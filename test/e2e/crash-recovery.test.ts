import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  mediaPortRange,
  type RunningAppliance,
  spooledStreams,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { type EventSubscriber, type ReceivedEvent, subscribeEvents } from "../helpers/event-subscriber.ts";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.ts";
import { crashAndRestartAppliance, type RunningReceiver, sleep, startReceiver } from "../helpers/outage.ts";
import { readReceivedCalls } from "../helpers/received-calls.ts";
import { runSippLoad } from "../helpers/sipp-load.ts";

const calls = 5;

/**
 * Issue 3's crash acceptance: `kill -9` of the appliance 10 s into five live calls, restart: it
 * accepts calls again within 2 s, closes the five as `recovered` (SESSIONCOMPLETED reason
 * recovered, SPOOLRECOVERED), and the receiver ends up with every frame committed before the kill.
 */
describe("a crash in the middle of five live calls", () => {
  let dir: string;
  let broker: MosquittoBroker;
  let subscriber: EventSubscriber;
  let receiver: RunningReceiver;
  let appliance: RunningAppliance;
  let sipPort: number;
  let webPort: number;
  let events: ReceivedEvent[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-crash-"));
    broker = await startMosquitto();
    subscriber = await subscribeEvents(broker.url, "crash");
    events = subscriber.events;
    receiver = await startReceiver({ outDir: join(dir, "received") });
    sipPort = await freePort();
    webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: crash
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./spool.db }
sinks:
  - { name: ai, type: websocket, url: "${receiver.url}", mode: per-participant, format: PCMU/8000 }
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

  it("recovers the calls as recovered and delivers every committed frame", async () => {
    const load = runSippLoad({
      calls,
      durationS: 30,
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
      timeoutMs: 45_000,
    });
    await sleep(10_000);
    const restarted = await crashAndRestartAppliance(appliance, dir, webPort);
    appliance = restarted.appliance;
    expect(restarted.acceptingMs, "ms from start to a 200 for OPTIONS").toBeLessThan(2000);

    const recovered = await waitFor(
      "the five calls to be closed as recovered and delivered",
      async () => {
        const status = await appliance.status();
        const done = status.calls.recent.filter((c) => c.state === "recovered");
        return done.length === calls &&
          done.every((c) => c.sinks.length === 2 && c.sinks.every((u) => u.state === "done"))
          ? done
          : undefined;
      },
      60_000,
    );
    expect(recovered.every((c) => c.reason === "recovered")).toBe(true);
    await load;

    const received = await readReceivedCalls(receiver.outDir);
    for (const call of recovered) {
      const stored = await spooledStreams(appliance.webUrl, call.callId);
      expect(stored).toHaveLength(2);
      for (const s of stored) {
        expect(
          s.frames,
          `${call.sipCallId} label ${s.label}: frames committed before the kill`,
        ).toBeGreaterThan(250);
        const r = received.find((x) => x.callId === call.callId && x.label === s.label);
        expect(r, `${call.sipCallId} label ${s.label} at the receiver`).toBeDefined();
        expect(
          Buffer.from(r?.data ?? []).equals(Buffer.from(s.data)),
          `${call.sipCallId} label ${s.label} bytes`,
        ).toBe(true);
      }
    }

    await waitFor("SPOOLRECOVERED on the broker", () =>
      events.some((e) => e.event === "SPOOLRECOVERED") ? true : undefined,
    );
    const completed = events.filter((e) => e.event === "SESSIONCOMPLETED");
    expect(completed.filter((e) => e.body.reason === "recovered")).toHaveLength(calls);
  }, 120_000);
});
