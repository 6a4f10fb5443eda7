import mqtt, { type MqttClient } from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AppEvent,
  createMqttPublisher,
  type MqttPublisher,
  MqttUrlError,
  PublisherClosedError,
  PublisherOfflineError,
  sessionStarted,
  topics,
} from "../../../src/control/index.ts";
import { type MosquittoBroker, startMosquitto } from "../../helpers/mosquitto.ts";
import { sampleCall } from "./sample-call.ts";
import { startTcpRelay, type TcpRelay } from "./tcp-relay.ts";

interface Received {
  topic: string;
  json: Record<string, unknown>;
  qos: number;
  retain: boolean;
}

/** Collects every message a subscriber receives and lets a test wait for a condition on them. */
function collect(client: MqttClient): {
  received: Received[];
  until(pred: (r: Received[]) => boolean): Promise<void>;
} {
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  client.on("message", (topic, payload, packet) => {
    received.push({ topic, json: JSON.parse(payload.toString()), qos: packet.qos, retain: packet.retain });
    for (const check of waiters) check();
  });
  return {
    received,
    until: (pred) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (!pred(received)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
  };
}

async function subscriber(url: string, filter: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clean: true, reconnectPeriod: 0 });
  await client.subscribeAsync(filter, { qos: 1 });
  return client;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Resolves once the publisher is connected to its broker. */
function connectedOnce(p: MqttPublisher): Promise<void> {
  return p.connected ? Promise.resolve() : new Promise((resolve) => p.on("connect", () => resolve()));
}

/** Event number `n` of a test: SESSIONSTARTED of a call whose id ends in `n`. */
function numbered(n: number): AppEvent {
  const callId = `call-${String(n).padStart(4, "0")}`;
  return sessionStarted(sampleCall({ callId }), [], { applianceId: "edge-01" });
}

const t = topics("siprec-edge", "edge-01");

describe("MQTT publisher against mosquitto", () => {
  let broker: MosquittoBroker;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];

  beforeEach(async () => {
    broker = await startMosquitto();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker.stop();
  });

  function publisher(url: string): MqttPublisher {
    const p = createMqttPublisher({ url, applianceId: "edge-01", version: "1.2.3", reconnectMinMs: 50 });
    cleanups.push(() => p.close());
    return p;
  }

  async function connectedPublisher(url: string): Promise<MqttPublisher> {
    const p = publisher(url);
    await connectedOnce(p);
    return p;
  }

  function track(client: MqttClient): MqttClient {
    cleanups.push(() => client.endAsync(true));
    return client;
  }

  it("publishes events with QoS 1 to events/<EVENT>, in the order they were published", async () => {
    const sub = track(await subscriber(broker.url, t.eventsFilter));
    const inbox = collect(sub);
    const p = await connectedPublisher(broker.url);
    const events = Array.from({ length: 25 }, (_, i) => numbered(i));
    await Promise.all(events.map((e) => p.publishEvent(e)));
    await inbox.until((r) => r.length === 25);
    expect(inbox.received.map((r) => r.json.sessionId)).toEqual(events.map((e) => e.sessionId));
    expect(inbox.received.every((r) => r.topic === t.event("SESSIONSTARTED") && r.qos === 1)).toBe(true);
    expect(inbox.received[0]?.json).toEqual(JSON.parse(JSON.stringify(events[0])));
    expect(p.pending).toBe(0);
  });

  it("leaves a retained online status, with version and the caller's fields, for a late subscriber", async () => {
    const p = publisher(broker.url);
    p.publishStatus({ activeCalls: 3 });
    await connectedOnce(p);
    await p.publishEvent(numbered(1));
    expect(p.connected).toBe(true);
    const late = collect(track(await subscriber(broker.url, t.status)));
    await late.until((r) => r.length > 0);
    expect(late.received[0]).toMatchObject({
      retain: true,
      json: { state: "online", applianceId: "edge-01", version: "1.2.3", activeCalls: 3 },
    });
  });

  it("the Last Will marks the appliance offline when its connection dies without DISCONNECT", async () => {
    const relay: TcpRelay = await startTcpRelay(broker.port);
    cleanups.push(() => relay.close());
    const p = await connectedPublisher(`mqtt://127.0.0.1:${relay.port}`);
    await p.publishEvent(numbered(1));
    const watcher = collect(track(await subscriber(broker.url, t.status)));
    await watcher.until((r) => r.some((m) => m.json.state === "online"));

    relay.refuse(true);
    relay.cutAll();
    await watcher.until((r) => r.some((m) => m.json.state === "offline"));
    const late = collect(track(await subscriber(broker.url, t.status)));
    await late.until((r) => r.length > 0);
    expect(late.received[0]).toMatchObject({ retain: true, json: { state: "offline" } });

    relay.refuse(false);
    await watcher.until((r) => r.at(-1)?.json.state === "online");
  });

  it("a clean close leaves the retained status stopped and rejects later events", async () => {
    const p = await connectedPublisher(broker.url);
    await p.publishEvent(numbered(1));
    await p.close();
    expect(p.connected).toBe(false);
    const late = collect(track(await subscriber(broker.url, t.status)));
    await late.until((r) => r.length > 0);
    expect(late.received[0]).toMatchObject({
      retain: true,
      json: { state: "stopped", applianceId: "edge-01" },
    });
    await expect(p.publishEvent(numbered(2))).rejects.toBeInstanceOf(PublisherClosedError);
  });

  it("an event published while the broker is unreachable is rejected at once and never sent later", async () => {
    const relay = await startTcpRelay(broker.port);
    cleanups.push(() => relay.close());
    const p = await connectedPublisher(`mqtt://127.0.0.1:${relay.port}`);
    const inbox = collect(track(await subscriber(broker.url, t.eventsFilter)));
    relay.refuse(true);
    relay.cutAll();
    await until(() => !p.connected);
    await expect(p.publishEvent(numbered(1))).rejects.toBeInstanceOf(PublisherOfflineError);
    expect(p.pending).toBe(0);

    relay.refuse(false);
    await connectedOnce(p);
    const sentinel = numbered(2);
    await p.publishEvent(sentinel);
    await inbox.until((r) => r.length > 0);
    expect(inbox.received.map((r) => r.json.sessionId)).toEqual([sentinel.sessionId]);
  });

  it("reports each lost and regained broker connection", async () => {
    const relay = await startTcpRelay(broker.port);
    cleanups.push(() => relay.close());
    const p = await connectedPublisher(`mqtt://127.0.0.1:${relay.port}`);
    const seen: string[] = [];
    p.on("disconnect", () => seen.push("disconnect"));
    p.on("connect", () => seen.push("connect"));
    relay.cutAll();
    await until(() => seen.length === 2);
    expect(seen).toEqual(["disconnect", "connect"]);
  });

  it("an event whose connection drops before its PUBACK is resent after the reconnect and resolves then", async () => {
    const relay = await startTcpRelay(broker.port);
    cleanups.push(() => relay.close());
    const p = await connectedPublisher(`mqtt://127.0.0.1:${relay.port}`);
    const inbox = collect(track(await subscriber(broker.url, t.eventsFilter)));
    const event = numbered(7);
    let settled = false;
    const acked = p.publishEvent(event).finally(() => {
      settled = true;
    });
    relay.refuse(true);
    relay.cutAll();
    await until(() => !p.connected);
    expect(p.pending).toBe(1);
    expect(settled).toBe(false);

    relay.refuse(false);
    await acked;
    await inbox.until((r) => r.length > 0);
    expect(inbox.received[0]?.json.sessionId).toBe(event.sessionId);
    expect(p.pending).toBe(0);
  });

  it("close() rejects events still waiting for their PUBACK", async () => {
    const relay = await startTcpRelay(broker.port);
    cleanups.push(() => relay.close());
    const p = await connectedPublisher(`mqtt://127.0.0.1:${relay.port}`);
    const pending = p.publishEvent(numbered(1));
    relay.refuse(true);
    relay.cutAll();
    await until(() => !p.connected);
    await p.close();
    await expect(pending).rejects.toMatchObject({ code: "CONTROL_CLOSED" });
  });

  it("refuses a broker URL that is not MQTT", () => {
    expect(() =>
      createMqttPublisher({ url: "http://127.0.0.1:1883", applianceId: "a", version: "1" }),
    ).toThrow(MqttUrlError);
  });
});
