import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createMqttPublisher,
  createOutboxRelay,
  type MqttPublisher,
  type OutboxRelay,
  sessionStarted,
  topics,
} from "../../../src/control/index.ts";
import { openSqliteSpool, type SqliteSpool } from "../../../src/spool/index.ts";
import { type MosquittoBroker, startMosquitto } from "../../helpers/mosquitto.ts";
import { startAclBroker } from "./acl-broker.ts";
import { sampleCall } from "./sample-call.ts";
import { startTcpRelay, type TcpRelay } from "./tcp-relay.ts";

const t = topics("siprec-edge", "edge-01");
const window = 8;

/** Every event a set of subscribers received, in arrival order. */
interface Inbox {
  readonly events: Array<{ topic: string; json: Record<string, unknown> }>;
  /** The `eventSeq` of every message, duplicates included, in arrival order. */
  seqs(): number[];
  until(pred: () => boolean): Promise<void>;
}

function inbox(): Inbox & { attach(client: MqttClient): void } {
  const events: Array<{ topic: string; json: Record<string, unknown> }> = [];
  const waiters = new Set<() => void>();
  return {
    events,
    seqs: () => events.map((e) => e.json.eventSeq as number),
    attach(client) {
      client.on("message", (topic, payload) => {
        events.push({ topic, json: JSON.parse(payload.toString()) });
        for (const check of waiters) check();
      });
    },
    until: (pred) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (!pred()) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Stores SESSIONSTARTED of call number `n` in the outbox, as the app does, and returns its eventSeq. */
function append(spool: SqliteSpool, n: number): number {
  const callId = `call-${String(n).padStart(4, "0")}`;
  const event = sessionStarted(sampleCall({ callId }), [], { applianceId: "edge-01" });
  return spool.appendEvent({ name: event.event, callId, time: 1_000 * n, body: JSON.stringify(event) });
}

/** Checks the at-least-once contract: complete, in order after dedupe, duplicates bounded by the window. */
function expectDelivered(seqs: number[], total: number): void {
  const firsts: number[] = [];
  const seen = new Set<number>();
  for (const seq of seqs) {
    if (seen.has(seq)) continue;
    seen.add(seq);
    firsts.push(seq);
  }
  expect(firsts).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  expect(seqs.length - firsts.length).toBeLessThanOrEqual(window);
}

describe("outbox relay against mosquitto", () => {
  let broker: MosquittoBroker;
  let dir: string;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];

  beforeEach(async () => {
    broker = await startMosquitto();
    dir = mkdtempSync(join(tmpdir(), "outbox-relay-"));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function spoolAt(path: string): SqliteSpool {
    const spool = openSqliteSpool({ path });
    cleanups.push(() => spool.close());
    return spool;
  }

  function publisher(url: string): MqttPublisher {
    const p = createMqttPublisher({
      url,
      applianceId: "edge-01",
      version: "1",
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
    });
    cleanups.push(() => p.close());
    return p;
  }

  function relay(spool: SqliteSpool, p: MqttPublisher): OutboxRelay {
    const r = createOutboxRelay({ outbox: spool, publisher: p, window, retryMs: 50 });
    cleanups.push(() => r.close());
    return r;
  }

  async function subscribe(into: ReturnType<typeof inbox>, url = broker.url): Promise<MqttClient> {
    const client = await mqtt.connectAsync(url, { protocolVersion: 5, clean: true, reconnectPeriod: 0 });
    cleanups.push(() => client.endAsync(true));
    into.attach(client);
    await client.subscribeAsync(t.eventsFilter, { qos: 1 });
    return client;
  }

  it("publishes stored events in eventSeq order, each with its eventSeq, and deletes each on its PUBACK", async () => {
    const spool = spoolAt(":memory:");
    const received = inbox();
    await subscribe(received);
    const r = relay(spool, publisher(broker.url));
    const stored: string[] = [];
    for (let n = 1; n <= 30; n++) {
      append(spool, n);
      r.kick();
      stored.push(spool.pendingEvents(100).at(-1)?.body ?? "");
    }
    await received.until(() => received.events.length === 30);
    expect(received.seqs()).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(received.events.every((e) => e.topic === t.event("SESSIONSTARTED"))).toBe(true);
    expect(received.events[4]?.json).toEqual({ ...JSON.parse(stored[4] ?? ""), eventSeq: 5 });
    await until(() => r.depth === 0 && r.inFlight === 0);
    expect(spool.pendingEvents(100)).toEqual([]);
  });

  it("loses no event across a broker outage in the middle of a burst: every eventSeq arrives, in order", async () => {
    const spool = spoolAt(":memory:");
    const received = inbox();
    await subscribe(received);
    const tcp: TcpRelay = await startTcpRelay(broker.port);
    cleanups.push(() => tcp.close());
    const r = relay(spool, publisher(`mqtt://127.0.0.1:${tcp.port}`));
    const total = 240;
    for (let n = 1; n <= total; n++) {
      append(spool, n);
      r.kick();
      if (n === 80) {
        tcp.refuse(true);
        await broker.stop();
      }
      if (n === 160) {
        expect(r.depth).toBeGreaterThan(0);
        broker = await startMosquitto({ port: broker.port });
        await subscribe(received);
        tcp.refuse(false);
      }
      await sleep(n > 80 && n < 160 ? 30 : 5);
    }
    await received.until(() => new Set(received.seqs()).size === total);
    expectDelivered(received.seqs(), total);
    await until(() => r.depth === 0 && r.inFlight === 0);
    expect(spool.pendingEvents(10)).toEqual([]);
  });

  it("events a previous run could not publish go out first after a restart, exactly once", async () => {
    const path = join(dir, "spool.db");
    const tcp = await startTcpRelay(broker.port);
    cleanups.push(() => tcp.close());
    tcp.refuse(true);
    const first = openSqliteSpool({ path });
    const firstPublisher = createMqttPublisher({
      url: `mqtt://127.0.0.1:${tcp.port}`,
      applianceId: "edge-01",
      version: "1",
    });
    const firstRelay = createOutboxRelay({ outbox: first, publisher: firstPublisher, window });
    for (let n = 1; n <= 12; n++) {
      append(first, n);
      firstRelay.kick();
    }
    expect(firstRelay.depth).toBe(12);
    await firstRelay.close();
    await firstPublisher.close();
    first.close();

    const received = inbox();
    await subscribe(received);
    const spool = spoolAt(path);
    const r = relay(spool, publisher(broker.url));
    expect(r.depth).toBe(12);
    append(spool, 13);
    r.kick();
    await received.until(() => received.events.length === 13);
    expect(received.seqs()).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    await until(() => r.depth === 0);
  });

  it("drops a stored event that is not JSON, with the others still delivered in order", async () => {
    const spool = spoolAt(":memory:");
    const received = inbox();
    await subscribe(received);
    append(spool, 1);
    spool.appendEvent({ name: "SESSIONSTARTED", callId: "x", time: 1, body: "{not json" });
    spool.appendEvent({ name: "NOT/A/TOPIC", callId: "x", time: 1, body: "{}" });
    append(spool, 4);
    const r = relay(spool, publisher(broker.url));
    await received.until(() => received.events.length === 2);
    expect(received.seqs()).toEqual([1, 4]);
    await until(() => r.depth === 0);
    expect(spool.pendingEvents(10)).toEqual([]);
  });

  it("counts the events waiting while the broker is down and sends nothing until it returns", async () => {
    const spool = spoolAt(":memory:");
    const tcp = await startTcpRelay(broker.port);
    cleanups.push(() => tcp.close());
    tcp.refuse(true);
    const p = publisher(`mqtt://127.0.0.1:${tcp.port}`);
    const r = relay(spool, p);
    for (let n = 1; n <= 20; n++) {
      append(spool, n);
      r.kick();
    }
    await sleep(100);
    expect(r.depth).toBe(20);
    expect(r.inFlight).toBe(0);
    expect(spool.pendingEvents(100)).toHaveLength(20);

    const received = inbox();
    await subscribe(received);
    tcp.refuse(false);
    await received.until(() => received.events.length === 20);
    expect(received.seqs()).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await until(() => r.depth === 0);
  });

  it("keeps and retries, in order, events the broker refuses until it accepts them", async () => {
    const acl = await startAclBroker(["topic read #", `topic write ${t.status}`]);
    cleanups.push(() => acl.stop());
    const spool = spoolAt(":memory:");
    const received = inbox();
    await subscribe(received, acl.url);
    const r = relay(spool, publisher(acl.url));
    for (let n = 1; n <= 5; n++) {
      append(spool, n);
      r.kick();
    }
    await sleep(300);
    expect(received.events).toEqual([]);
    expect(r.depth).toBe(5);

    await acl.setAcl(["topic readwrite #"]);
    await received.until(() => new Set(received.seqs()).size === 5);
    expectDelivered(received.seqs(), 5);
    await until(() => r.depth === 0);
  });
});
