import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort, mediaPortRange, type RunningAppliance, startAppliance } from "../../helpers/appliance.ts";
import { EaspTestSession, testOpenMessage, testStreamDesc } from "../../helpers/easp-test-session.ts";
import { type MosquittoBroker, startMosquitto } from "../../helpers/mosquitto.ts";
import {
  crashAndRestartAppliance,
  killHard,
  type RunningReceiver,
  restartMosquitto,
  restartReceiver,
  sipOptions,
  sipUdpPortOf,
  startReceiver,
} from "../../helpers/outage.ts";
import { until } from "../../helpers/recorded-call.ts";

let dir: string;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "outage-"));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** Writes frames 0..count-1 of stream 1 into session `sessionId` and waits for their ack. */
async function writeSession(receiver: RunningReceiver, sessionId: string, count: number): Promise<number> {
  const session = await EaspTestSession.open(
    receiver.port,
    testOpenMessage("call-outage", sessionId, [testStreamDesc(1, "1")]),
  );
  session.audio(
    1,
    Array.from({ length: count }, (_, i) => i),
  );
  const acked = await session.sync();
  session.disconnect();
  return acked;
}

/** What the receiver says it has of a session: `opened.nextSeq` for a resuming `open`. */
async function nextSeqOf(receiver: RunningReceiver, sessionId: string): Promise<number> {
  const session = await EaspTestSession.open(
    receiver.port,
    testOpenMessage("call-outage", sessionId, [testStreamDesc(1, "1")], { nextSeq: 4 }),
  );
  session.disconnect();
  return session.nextSeq;
}

describe("receiver outages", () => {
  it("kill -9 and restart on the same port and out folder keep every committed item", async () => {
    let receiver = await startReceiver({ outDir: join(dir, "received") });
    cleanups.push(() => receiver.stop());
    expect(await writeSession(receiver, "s-kept", 3)).toBe(3);

    receiver = await restartReceiver(receiver, { signal: "SIGKILL" });

    expect(receiver.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/stream$/);
    expect(await nextSeqOf(receiver, "s-kept")).toBe(4);
  });

  it("restarts with an empty out folder, wiped or new, for the receiver-lost-state case", async () => {
    let receiver = await startReceiver({ outDir: join(dir, "received") });
    cleanups.push(() => receiver.stop());
    const port = receiver.port;
    await writeSession(receiver, "s-lost", 3);

    receiver = await restartReceiver(receiver, { emptyOutDir: "wipe" });
    expect(receiver.port).toBe(port);
    expect(await nextSeqOf(receiver, "s-lost")).toBe(1);

    await writeSession(receiver, "s-second", 2);
    receiver = await restartReceiver(receiver, { emptyOutDir: join(dir, "after") });
    expect(receiver.outDir).toBe(join(dir, "after"));
    expect(await nextSeqOf(receiver, "s-second")).toBe(1);
    expect(await readdir(join(dir, "received"))).toEqual(["call-outage"]);
  });

  it("refuses to restart on an out folder that is not empty, and leaves the receiver running", async () => {
    const receiver = await startReceiver({ outDir: join(dir, "received") });
    cleanups.push(() => receiver.stop());
    await writeSession(receiver, "s-full", 1);

    await expect(restartReceiver(receiver, { emptyOutDir: join(dir, "received") })).rejects.toThrow(
      /not empty/,
    );
    expect(await nextSeqOf(receiver, "s-full")).toBe(2);
  });
});

describe("broker outages", () => {
  it("restarts mosquitto on the same port, and a reconnecting client gets messages again", async () => {
    let broker: MosquittoBroker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 100, protocolVersion: 5 });
    cleanups.push(() => client.endAsync(true));
    await client.subscribeAsync("outage/test", { qos: 1 });
    const messages: string[] = [];
    client.on("message", (_topic, payload) => messages.push(payload.toString()));
    let connects = 0;
    let offline = 0;
    client.on("connect", () => {
      connects += 1;
    });
    client.on("offline", () => {
      offline += 1;
    });

    broker = await restartMosquitto(broker, { downMs: 300 });

    expect(offline).toBe(1);
    await until(() => connects === 1, "the client to reconnect");
    await client.subscribeAsync("outage/test", { qos: 1 });
    await client.publishAsync("outage/test", "after the outage", { qos: 1 });
    await until(() => messages.length === 1, "the message");
    expect(messages).toEqual(["after the outage"]);
  });
});

describe("appliance crash", () => {
  let appliance: RunningAppliance;

  it("kill -9 and restart with the same config: it answers OPTIONS again and reports how fast", async () => {
    const sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    const yaml = `appliance_id: outage-helper
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./spool.db }
web: { listen: "127.0.0.1:${webPort}" }
`;
    expect(sipUdpPortOf(yaml)).toBe(sipPort);
    appliance = await startAppliance(dir, yaml, webPort);
    cleanups.push(() => appliance.stop());
    expect((await sipOptions(sipPort)).status).toBe(200);

    const crashed = appliance;
    const restarted = await crashAndRestartAppliance(appliance, dir, webPort);
    appliance = restarted.appliance;

    expect(crashed.process.signalCode).toBe("SIGKILL");
    expect(await killHard(crashed)).toBe("SIGKILL");
    expect(restarted.acceptingMs).toBeGreaterThan(0);
    expect(restarted.healthzMs).toBeGreaterThan(0);
    expect((await sipOptions(sipPort)).status).toBe(200);
    expect((await appliance.status()).health.accepting).toBe(true);
  }, 30_000);
});
