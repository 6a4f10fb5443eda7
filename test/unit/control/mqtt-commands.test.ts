import { randomBytes } from "node:crypto";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type CommandHandler,
  type CommandMeta,
  type CommandReply,
  checkDeadline,
  commandNames,
  createMqttPublisher,
  deadlineOf,
  type MqttPublisher,
  type MqttPublisherOptions,
  okReply,
  parseCommand,
  replyOf,
  topics,
} from "../../../src/control/index.ts";
import { type MosquittoBroker, startMosquitto } from "../../helpers/mosquitto.ts";
import { startTcpRelay } from "./tcp-relay.ts";

const t = topics("siprec-edge", "edge-01");
const sessionId = "0195a1b2-0000-7000-8000-00000000c0de";

/** Valid parameters of every command. */
const validParams: Record<string, Record<string, unknown>> = {
  startStream: { sessionId, sink: "ai", mode: "interleaved" },
  stopStream: { correlationId: "00001002161234567890", sink: "ai" },
  startSIPRecForward: { sessionId, sink: "compliance", uri: "sips:srs.example.com" },
  stopSIPRecForward: { sessionId, sink: "compliance" },
  pauseRecording: { sessionId, reason: "PCI" },
  resumeRecording: { sessionId },
  getStatus: {},
  listCalls: { state: "all", limit: 5 },
  reloadConfig: {},
  drain: { cancel: true },
  testCall: { durationS: 5 },
};

/** A command as the test handler saw it. */
interface Handled {
  name: string;
  params: unknown;
  meta: CommandMeta;
}

/**
 * A stand-in for the app's executor: parses, refuses a command past its deadline, and "runs" it
 * by recording it and answering with the parsed command.
 */
function runCommand(executed: Handled[]): CommandHandler {
  return async (name, params, meta) => {
    try {
      const command = parseCommand(name, params);
      checkDeadline(deadlineOf(command.expiresAtMs, meta.deadlineMs), Date.now());
      executed.push({ name, params, meta });
      return okReply({ command: command.name, params: command.params });
    } catch (err) {
      return replyOf(err);
    }
  };
}

/** A reply as the requester received it. */
interface ReceivedReply {
  topic: string;
  reply: CommandReply;
  correlationData: Buffer | undefined;
  contentType: string | undefined;
  qos: number;
  retain: boolean;
}

interface SendOptions {
  /** Raw payload instead of the JSON of `params`. */
  raw?: string;
  /** MQTT 5 Message Expiry Interval, s. */
  expiryS?: number;
}

/**
 * An MQTT 5 client that sends commands the way a fleet manager would, collects the replies and
 * watches the appliance's status.
 */
class Requester {
  readonly replies: ReceivedReply[] = [];
  readonly states: string[] = [];
  readonly #waiters = new Set<() => void>();

  constructor(
    readonly client: MqttClient,
    readonly replyTopic: string,
  ) {
    client.on("message", (topic, payload, packet) => {
      if (topic === t.status) this.states.push(JSON.parse(payload.toString()).state);
      else
        this.replies.push({
          topic,
          reply: JSON.parse(payload.toString()),
          correlationData: packet.properties?.correlationData,
          contentType: packet.properties?.contentType,
          qos: packet.qos,
          retain: packet.retain,
        });
      for (const check of this.#waiters) check();
    });
  }

  /** Publishes a command with a Response Topic and fresh Correlation Data (non-UTF-8 bytes included). */
  async send(name: string, params: unknown, options: SendOptions = {}): Promise<Buffer> {
    const correlationData = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe]), randomBytes(13)]);
    const properties: Record<string, unknown> = { responseTopic: this.replyTopic, correlationData };
    if (options.expiryS !== undefined) properties.messageExpiryInterval = options.expiryS;
    await this.client.publishAsync(t.command(name), options.raw ?? JSON.stringify(params), {
      qos: 1,
      properties,
    });
    return correlationData;
  }

  /** Resolves with the reply carrying `correlationData`. */
  async replyTo(correlationData: Buffer): Promise<ReceivedReply> {
    await this.#until(() => this.replies.some((r) => r.correlationData?.equals(correlationData)));
    return this.replies.find((r) => r.correlationData?.equals(correlationData)) as ReceivedReply;
  }

  /**
   * Resolves once the appliance's status is `online`: it publishes it after subscribing to
   * `cmd/+`, so from then on it takes commands.
   */
  online(): Promise<void> {
    return this.#until(() => this.states.at(-1) === "online");
  }

  #until(condition: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition()) return;
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Sends a command and waits for its reply. */
  async call(name: string, params: unknown, options: SendOptions = {}): Promise<ReceivedReply> {
    return this.replyTo(await this.send(name, params, options));
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("MQTT commands against mosquitto", () => {
  let broker: MosquittoBroker;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];

  beforeEach(async () => {
    broker = await startMosquitto();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker.stop();
  });

  function publisher(url = broker.url, options: Partial<MqttPublisherOptions> = {}): MqttPublisher {
    const p = createMqttPublisher({
      url,
      applianceId: "edge-01",
      version: "1",
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      ...options,
    });
    cleanups.push(() => p.close());
    return p;
  }

  async function requester(name = "fleet"): Promise<Requester> {
    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 0,
    });
    cleanups.push(() => client.endAsync(true));
    const replyTopic = t.reply(name);
    const fleet = new Requester(client, replyTopic);
    await client.subscribeAsync([replyTopic, t.status], { qos: 1 });
    return fleet;
  }

  /** A publisher serving commands, and a requester that saw it come online. */
  async function serving(executed: Handled[], url = broker.url) {
    const p = publisher(url);
    p.serveCommands(runCommand(executed));
    const fleet = await requester();
    await fleet.online();
    return { p, fleet };
  }

  it("every command gets its reply on the Response Topic with its Correlation Data, QoS 1, not retained, as JSON", async () => {
    const executed: Handled[] = [];
    const { fleet } = await serving(executed);
    for (const name of commandNames) {
      const correlation = await fleet.send(name, validParams[name]);
      const received = await fleet.replyTo(correlation);
      expect(received.correlationData).toEqual(correlation);
      expect(received).toMatchObject({ topic: t.reply("fleet"), qos: 1, retain: false });
      expect(received.contentType).toBe("application/json");
      expect(received.reply).toEqual({
        ok: true,
        result: { command: name, params: parseCommand(name, validParams[name]).params },
      });
    }
    expect(executed.map((h) => h.name)).toEqual([...commandNames]);
    expect(executed.every((h) => h.meta.via === "mqtt" && h.meta.deadlineMs === undefined)).toBe(true);
  });

  it("an empty payload is an empty parameter object", async () => {
    const { fleet } = await serving([]);
    const received = await fleet.call("listCalls", undefined, { raw: "" });
    expect(received.reply).toEqual({
      ok: true,
      result: { command: "listCalls", params: { state: "live", limit: 100 } },
    });
  });

  it("a payload that is not JSON is refused with INVALID_ARGUMENT on field (body), without running", async () => {
    const executed: Handled[] = [];
    const { fleet } = await serving(executed);
    const received = await fleet.call("drain", undefined, { raw: "{cancel: true" });
    expect(received.reply).toMatchObject({ ok: false, error: { code: "INVALID_ARGUMENT", field: "(body)" } });
    expect(executed).toEqual([]);
  });

  it("a malformed or unknown command gets an error reply naming the field or the known commands", async () => {
    const { fleet } = await serving([]);
    const bad = await fleet.call("listCalls", { limit: 0 });
    expect(bad.reply).toMatchObject({ ok: false, error: { code: "INVALID_ARGUMENT", field: "limit" } });
    const unknown = await fleet.call("reboot", {});
    expect(unknown.reply).toMatchObject({
      ok: false,
      error: { code: "UNKNOWN_COMMAND", known: [...commandNames] },
    });
  });

  it("a command whose expiresAt has passed is refused with EXPIRED and not executed", async () => {
    const executed: Handled[] = [];
    const { fleet } = await serving(executed);
    const expiresAt = new Date(Date.now() - 5_000).toISOString();
    const received = await fleet.call("drain", { expiresAt });
    expect(received.reply).toMatchObject({ ok: false, error: { code: "EXPIRED" } });
    expect(received.reply.ok === false && received.reply.error.message).toContain(
      `command expired at ${expiresAt}`,
    );
    expect(executed).toEqual([]);
  });

  it("the Message Expiry Interval becomes the handler's deadline, counted from reception", async () => {
    const executed: Handled[] = [];
    const { fleet } = await serving(executed);
    const sentAt = Date.now();
    const received = await fleet.call("getStatus", {}, { expiryS: 30 });
    const repliedAt = Date.now();
    expect(received.reply.ok).toBe(true);
    const deadlineMs = executed[0]?.meta.deadlineMs ?? 0;
    // The broker hands over the remaining lifetime in whole seconds: 30, or 29 across a second boundary.
    expect(deadlineMs).toBeGreaterThanOrEqual(sentAt + 29_000);
    expect(deadlineMs).toBeLessThanOrEqual(repliedAt + 30_000);
  });

  it("commands received before serveCommands are handed over in order; their deadline counts from reception", async () => {
    const p = publisher();
    const fleet = await requester();
    await fleet.online();
    const first = await fleet.send("listCalls", { limit: 1 });
    const shortLived = await fleet.send("listCalls", { limit: 2 }, { expiryS: 1 });
    const third = await fleet.send("listCalls", { limit: 3 }, { expiryS: 60 });
    await until(() => p.commandsWaiting === 3);
    await sleep(1_100);
    expect(fleet.replies).toEqual([]);

    const executed: Handled[] = [];
    p.serveCommands(runCommand(executed));
    expect(p.commandsWaiting).toBe(0);
    expect((await fleet.replyTo(first)).reply.ok).toBe(true);
    expect((await fleet.replyTo(shortLived)).reply).toMatchObject({ ok: false, error: { code: "EXPIRED" } });
    expect((await fleet.replyTo(third)).reply.ok).toBe(true);
    expect(executed.map((h) => (h.params as { limit: number }).limit)).toEqual([1, 3]);
  });

  it("a command without a Response Topic, or with a wildcard in it, still runs; no reply is sent", async () => {
    const executed: Handled[] = [];
    const { fleet } = await serving(executed);
    const watcher = await requester("watcher");
    await watcher.client.subscribeAsync(`${t.base}/reply/#`, { qos: 1 });
    await fleet.client.publishAsync(t.command("pauseRecording"), JSON.stringify({ sessionId }), { qos: 1 });
    await fleet.client.publishAsync(t.command("resumeRecording"), JSON.stringify({ sessionId }), {
      qos: 1,
      properties: { responseTopic: `${t.base}/reply/+`, correlationData: Buffer.from("x") },
    });
    await until(() => executed.length === 2);
    expect(executed.map((h) => h.name)).toEqual(["pauseRecording", "resumeRecording"]);
    const sentinel = await fleet.call("getStatus", {});
    expect(sentinel.reply.ok).toBe(true);
    await watcher.replyTo(sentinel.correlationData as Buffer);
    expect(watcher.replies.map((r) => r.correlationData)).toEqual([sentinel.correlationData]);
  });

  it("while the appliance is offline, the broker keeps its commands: one that expires meanwhile never runs, the others run on reconnect", async () => {
    const relay = await startTcpRelay(broker.port);
    cleanups.push(() => relay.close());
    const executed: Handled[] = [];
    const { p, fleet } = await serving(executed, `mqtt://127.0.0.1:${relay.port}`);
    relay.refuse(true);
    relay.cutAll();
    await until(() => !p.connected);

    const expiring = await fleet.send("listCalls", { limit: 1 }, { expiryS: 1 });
    const lasting = await fleet.send("listCalls", { limit: 2 }, { expiryS: 60 });
    await sleep(2_000);
    relay.refuse(false);
    expect((await fleet.replyTo(lasting)).reply.ok).toBe(true);
    await fleet.call("listCalls", { limit: 3 });
    expect(executed.map((h) => (h.params as { limit: number }).limit)).toEqual([2, 3]);
    expect(fleet.replies.some((r) => r.correlationData?.equals(expiring))).toBe(false);
    // Remaining lifetime as handed over by the broker on reconnect: under the 60 s it was sent with.
    expect(executed[0]?.meta.deadlineMs).toBeLessThanOrEqual(Date.now() + 59_000);
  }, 15_000);

  it("a second serveCommands is refused", async () => {
    const p = publisher();
    p.serveCommands(runCommand([]));
    expect(() => p.serveCommands(runCommand([]))).toThrow(expect.objectContaining({ code: "INVALID_STATE" }));
  });

  it("with subscribeBeforeServe off, commands are only taken once serveCommands is called", async () => {
    const p = publisher(broker.url, { subscribeBeforeServe: false });
    const fleet = await requester();
    await fleet.online();
    await fleet.send("listCalls", { limit: 1 });
    expect(p.commandsWaiting).toBe(0);
    const executed: Handled[] = [];
    p.serveCommands(runCommand(executed));
    // The SUBSCRIBE goes out now; send until a command gets through.
    let answered: ReceivedReply | undefined;
    while (!answered) {
      const correlation = await fleet.send("listCalls", { limit: 2 });
      await sleep(50);
      answered = fleet.replies.find((r) => r.correlationData?.equals(correlation));
    }
    expect(answered.reply.ok).toBe(true);
    expect(executed.map((h) => h.params)).not.toContainEqual({ limit: 1 });
  });

  it("the broker keeps the appliance's session across a clean restart: commands sent while it was stopped wait for it", async () => {
    const first = publisher();
    first.serveCommands(runCommand([]));
    const fleet = await requester();
    await fleet.online();
    await first.close();

    const queued = await fleet.send("listCalls", { limit: 9 }, { expiryS: 60 });
    const executed: Handled[] = [];
    const second = publisher();
    second.serveCommands(runCommand(executed));
    expect((await fleet.replyTo(queued)).reply.ok).toBe(true);
    expect(executed.map((h) => h.params)).toEqual([{ limit: 9 }]);
  });
});
