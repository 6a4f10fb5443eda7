import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import {
  type Clock,
  errorMessage,
  type Logger,
  silentLogger,
  systemClock,
  type TimerHandle,
  TypedEmitter,
} from "../lib/index.ts";
import { MqttCommandChannel } from "./command-channel.ts";
import type { CommandHandler } from "./command-types.ts";
import { MqttUrlError, PublisherClosedError, PublisherOfflineError, PublishRejectedError } from "./errors.ts";
import { isoFromUs } from "./event-common.ts";
import type { AppEvent, EventName } from "./event-types.ts";
import { defaultTopicPrefix, type Topics, topics } from "./topics.ts";

/** Options of {@link createMqttPublisher} (config section `mqtt`, DESIGN.md §7). */
export interface MqttPublisherOptions {
  /** Broker URL: `mqtt://host:1883`, `mqtts://host:8883`, `ws://…`, `wss://…`. */
  url: string;
  /** MQTT user name (the broker ACL's `%u`, usually the appliance id). */
  username?: string;
  /** MQTT password. */
  password?: string;
  /**
   * TLS material for `mqtts:`/`wss:`, PEM text (the app reads the files of config `mqtt.tls.ca`,
   * `mqtt.tls.cert`, `mqtt.tls.key` into it). `cert` + `key` authenticate the appliance with a client
   * certificate; `rejectUnauthorized` defaults to true.
   */
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  /** `mqtt.topic_prefix`. @default "siprec-edge" */
  topicPrefix?: string;
  /** Appliance id: one topic level. */
  applianceId: string;
  /** Software version, put in every status message. */
  version: string;
  /**
   * MQTT client identifier; stable across restarts, so the broker keeps the appliance's session.
   * @default `siprec-edge-<applianceId>`
   */
  clientId?: string;
  /**
   * How long the broker keeps the appliance's session (its `cmd/+` subscription and the QoS 1
   * commands sent to it) after a disconnect, s (MQTT 5 Session Expiry Interval, §3.1.2.11.2).
   * Commands queued there while the appliance is offline are delivered on reconnect unless their
   * Message Expiry has passed. @default 3600
   */
  sessionExpiryS?: number;
  /**
   * Subscribe to `cmd/+` from the first connect, so commands sent before
   * {@link MqttPublisher.serveCommands} wait in a buffer; false: only once it is called. @default true
   */
  subscribeBeforeServe?: boolean;
  /** Commands buffered before `serveCommands`; beyond it they are refused with `UNAVAILABLE`. @default 100 */
  maxWaitingCommands?: number;
  /** First reconnect delay, ms; doubles per failed attempt (with jitter) up to `reconnectMaxMs`. @default 500 */
  reconnectMinMs?: number;
  /** Longest reconnect delay, ms. @default 30000 */
  reconnectMaxMs?: number;
  /** How long `close()` waits for events in flight and the `stopped` status to be acknowledged, ms. @default 2000 */
  closeTimeoutMs?: number;
  /** Source of the `time` in status messages and of close timeouts. @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
}

/** What a publisher reports about its broker connection. */
export type MqttPublisherEvents = {
  /** Connected (first time or after a reconnect); events can be published now. */
  connect: [];
  /** The connection was lost; it is retried with backoff. */
  disconnect: [];
};

/**
 * Publishes the appliance's events and status to an MQTT 5 broker (DESIGN.md §6, §8).
 *
 * Events go out QoS 1 on `events/<EVENT>`. The publisher keeps **no queue of its own**: an event
 * published while the broker is unreachable is rejected at once, because the durable retry belongs
 * to the spool's outbox and its relay (mqtt.js's offline queue lives in memory and dies with the
 * process; two retry mechanisms would deliver twice). An event already sent when the connection
 * drops stays in mqtt.js's in-flight store, is resent once on reconnect, and settles on its PUBACK.
 * The status topic is retained; the Last Will sets it to `{"state":"offline"}`.
 *
 * The session is persistent (clean start off, a stable client id, Session Expiry
 * `sessionExpiryS`): commands sent while the appliance is offline wait at the broker and expire
 * there if their Message Expiry passes first (DESIGN.md §8). The same client serves commands.
 */
export interface MqttPublisher {
  /**
   * Publishes an event on `events/<EVENT>` (QoS 1) now; resolves when the broker's PUBACK arrives.
   * @throws PublisherOfflineError `CONTROL_OFFLINE` (rejection) when the broker is not connected: nothing is sent or kept.
   * @throws PublisherClosedError `CONTROL_CLOSED` (rejection) after `close()`, or if `close()` came before the PUBACK.
   * @throws PublishRejectedError `CONTROL_PUBLISH_REJECTED` (rejection) when the PUBACK carries a failure reason code.
   */
  publishEvent(event: AppEvent): Promise<void>;
  /**
   * Publishes an event already serialised (the outbox's stored JSON) on `events/<name>`; otherwise
   * exactly as {@link MqttPublisher.publishEvent}.
   * @throws TopicError `CONTROL_BAD_TOPIC` when `name` is not one topic level.
   */
  publishEventJson(name: EventName, json: string): Promise<void>;
  /**
   * Sets the retained status (`{state:"online", applianceId, version, time, …status}`, QoS 1) and
   * publishes it now if connected; it is republished on every (re)connect.
   */
  publishStatus(status: Record<string, unknown>): void;
  /**
   * Serves `cmd/<name>` requests with `handler` from now on (DESIGN.md §8), handing it first the
   * commands buffered since the start. Per request: the payload is JSON (empty = `{}`; not JSON →
   * `INVALID_ARGUMENT` on field `(body)`), `meta.deadlineMs` is reception + the MQTT 5 Message
   * Expiry Interval, and the reply is published QoS 1, not retained, `application/json`, on the
   * request's Response Topic with its Correlation Data echoed byte for byte (MQTT 5 §4.10). Without
   * a Response Topic (or with a wildcard in it) the command still runs and no reply is sent.
   * Subscribes (QoS 1) to `cmd/+` on every connect, whatever the broker's session holds.
   * @throws InvalidStateError `INVALID_STATE` when commands are already being served.
   */
  serveCommands(handler: CommandHandler): void;
  /** Commands received before `serveCommands` and waiting for it. */
  readonly commandsWaiting: number;
  /** Whether the broker connection is up. */
  readonly connected: boolean;
  /** Events published and still awaiting their PUBACK. */
  readonly pending: number;
  /** Adds a listener for a connection change. */
  on<K extends keyof MqttPublisherEvents>(
    event: K,
    listener: (...args: MqttPublisherEvents[K]) => void,
  ): this;
  /** Removes a listener added with `on`. */
  off<K extends keyof MqttPublisherEvents>(
    event: K,
    listener: (...args: MqttPublisherEvents[K]) => void,
  ): this;
  /**
   * Clean stop: waits (up to `closeTimeoutMs`) for the PUBACKs of events in flight, publishes the
   * retained status `{"state":"stopped"}`, sends DISCONNECT (so the Last Will is not published) and
   * rejects events still in flight. Idempotent.
   */
  close(): Promise<void>;
}

interface InFlightEvent {
  reject: (err: Error) => void;
}

const brokerProtocols = new Set(["mqtt:", "mqtts:", "tcp:", "ssl:", "ws:", "wss:"]);

/**
 * Creates a publisher and starts connecting (MQTT 5, persistent session, reconnect with exponential backoff).
 * @throws MqttUrlError `CONTROL_BAD_MQTT_URL` for an unusable broker URL.
 * @throws TopicError `CONTROL_BAD_TOPIC` for a prefix or appliance id that cannot form topics.
 */
export function createMqttPublisher(options: MqttPublisherOptions): MqttPublisher {
  return new MqttPublisherImpl(options);
}

class MqttPublisherImpl extends TypedEmitter<MqttPublisherEvents> implements MqttPublisher {
  readonly #client: MqttClient;
  readonly #topics: Topics;
  readonly #options: MqttPublisherOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #reconnectMinMs: number;
  readonly #reconnectMaxMs: number;
  readonly #commands: MqttCommandChannel;
  // Events published and awaiting their PUBACK.
  readonly #inFlight = new Set<InFlightEvent>();
  // Called whenever the last event in flight settles (close() waits on it).
  #onDrained: (() => void) | undefined;
  #status: Record<string, unknown> = {};
  #reconnectAttempt = 0;
  #wasConnected = false;
  #closing = false;
  #closePromise: Promise<void> | undefined;

  constructor(options: MqttPublisherOptions) {
    super();
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? silentLogger).child({ component: "mqtt" });
    this.#topics = topics(options.topicPrefix ?? defaultTopicPrefix, options.applianceId);
    this.#reconnectMinMs = options.reconnectMinMs ?? 500;
    this.#reconnectMaxMs = options.reconnectMaxMs ?? 30_000;
    this.#client = mqtt.connect(checkUrl(options.url), this.#clientOptions());
    this.#commands = new MqttCommandChannel({
      client: this.#client,
      topics: this.#topics,
      clock: this.#clock,
      logger: this.#logger,
      maxWaiting: options.maxWaitingCommands ?? 100,
    });
    // Registered before the CONNACK: a resumed session delivers queued commands right after it.
    this.#client.on("message", (topic, payload, packet) => this.#commands.receive(topic, payload, packet));
    this.#client.on("connect", () => this.#handleConnect());
    this.#client.on("reconnect", () => this.#handleReconnectAttempt());
    this.#client.on("close", () => this.#handleClose());
    this.#client.on("error", (err) => this.#logger.warn("mqtt error", { error: errorMessage(err) }));
  }

  get connected(): boolean {
    return !this.#closing && this.#client.connected;
  }

  get pending(): number {
    return this.#inFlight.size;
  }

  get commandsWaiting(): number {
    return this.#commands.waiting;
  }

  serveCommands(handler: CommandHandler): void {
    const subscribed = this.#commandsWanted();
    this.#commands.serve(handler);
    if (!subscribed && !this.#closing && this.#client.connected) this.#commands.subscribe();
  }

  publishEvent(event: AppEvent): Promise<void> {
    return this.publishEventJson(event.event, JSON.stringify(event));
  }

  publishEventJson(name: EventName, json: string): Promise<void> {
    if (this.#closing) return Promise.reject(new PublisherClosedError("MQTT publisher is closed"));
    const topic = this.#topics.event(name);
    if (!this.#client.connected) {
      return Promise.reject(new PublisherOfflineError(`MQTT broker not connected: ${name} not sent`));
    }
    return new Promise<void>((resolve, reject) => {
      const entry: InFlightEvent = { reject };
      this.#inFlight.add(entry);
      // A QoS 1 publish interrupted by a disconnect stays in mqtt.js's outgoing store, is resent on
      // reconnect, and this callback runs once its PUBACK arrives.
      this.#client.publish(topic, json, { qos: 1 }, (err) => {
        if (!this.#inFlight.delete(entry)) return;
        if (!err) resolve();
        else if (isReasonCodeError(err)) {
          this.#logger.error("broker rejected event", { topic, reasonCode: err.code });
          reject(new PublishRejectedError(`broker rejected ${topic}: ${err.message}`, err.code));
        } else if (this.#closing) {
          reject(
            new PublisherClosedError(`MQTT publisher closed before the PUBACK of ${topic}`, { cause: err }),
          );
        } else {
          reject(new PublisherOfflineError(`${topic} not acknowledged: ${err.message}`, { cause: err }));
        }
        if (this.#inFlight.size === 0) this.#onDrained?.();
      });
    });
  }

  publishStatus(status: Record<string, unknown>): void {
    this.#status = status;
    if (this.#closing || !this.#client.connected) return;
    this.#sendStatus(this.#statusPayload("online"), () => {});
  }

  close(): Promise<void> {
    this.#closePromise ??= this.#shutdown();
    return this.#closePromise;
  }

  #clientOptions(): IClientOptions {
    const options = this.#options;
    return {
      protocolVersion: 5,
      clean: false,
      clientId: options.clientId ?? `siprec-edge-${options.applianceId}`,
      properties: { sessionExpiryInterval: options.sessionExpiryS ?? 3600 },
      username: options.username,
      password: options.password,
      reconnectPeriod: this.#reconnectMinMs,
      // A refused CONNACK (bad credentials, server busy) is retried too: the broker may be fixed later.
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      resubscribe: false,
      ca: options.tls?.ca,
      cert: options.tls?.cert,
      key: options.tls?.key,
      rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
      will: {
        topic: this.#topics.status,
        payload: Buffer.from(JSON.stringify({ state: "offline" })),
        qos: 1,
        retain: true,
      },
    };
  }

  #handleConnect(): void {
    this.#reconnectAttempt = 0;
    this.#client.options.reconnectPeriod = this.#reconnectMinMs;
    this.#wasConnected = true;
    this.#logger.info("mqtt connected", { url: this.#options.url, inFlight: this.#inFlight.size });
    if (this.#closing) return;
    // SUBSCRIBE before the status: the broker handles a connection's packets in order, so once
    // `online` is visible the appliance takes commands.
    if (this.#commandsWanted()) this.#commands.subscribe();
    this.#sendStatus(this.#statusPayload("online"), () => {});
    this.safeEmit("connect");
  }

  #commandsWanted(): boolean {
    return this.#commands.serving || (this.#options.subscribeBeforeServe ?? true);
  }

  // mqtt.js re-reads `reconnectPeriod` each time it arms its reconnect timer, so setting it on
  // every attempt gives exponential backoff with equal jitter (half fixed, half random).
  #handleReconnectAttempt(): void {
    this.#reconnectAttempt++;
    const ceiling = Math.min(this.#reconnectMaxMs, this.#reconnectMinMs * 2 ** this.#reconnectAttempt);
    this.#client.options.reconnectPeriod = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  #handleClose(): void {
    if (!this.#wasConnected) return;
    this.#wasConnected = false;
    this.#logger.warn("mqtt disconnected", { url: this.#options.url, inFlight: this.#inFlight.size });
    if (!this.#closing) this.safeEmit("disconnect");
  }

  #statusPayload(state: "online" | "stopped"): string {
    const base = {
      state,
      applianceId: this.#options.applianceId,
      version: this.#options.version,
      time: isoFromUs(this.#clock.wallUs()),
    };
    return JSON.stringify(state === "online" ? { ...this.#status, ...base } : base);
  }

  #sendStatus(payload: string, done: (err: Error | null | undefined) => void): void {
    this.#client.publish(this.#topics.status, payload, { qos: 1, retain: true }, (err) => done(err));
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    this.#commands.close();
    const timeoutMs = this.#options.closeTimeoutMs ?? 2_000;
    let clean = this.#client.connected && (await this.#withTimeout(timeoutMs, (done) => this.#drain(done)));
    this.#onDrained = undefined;
    for (const entry of this.#inFlight) {
      entry.reject(new PublisherClosedError("MQTT publisher closed before the event was acknowledged"));
    }
    this.#inFlight.clear();
    if (clean) {
      clean = await this.#withTimeout(timeoutMs, (done) =>
        this.#sendStatus(this.#statusPayload("stopped"), (err) => done(!err)),
      );
    }
    // A DISCONNECT (not forced) keeps the broker from publishing the Last Will.
    await this.#client.endAsync(!clean);
    this.#logger.info("mqtt publisher closed", { clean });
  }

  #drain(done: (ok: boolean) => void): void {
    if (this.#inFlight.size === 0) {
      done(true);
      return;
    }
    this.#onDrained = () => done(true);
  }

  #withTimeout(ms: number, start: (done: (ok: boolean) => void) => void): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let timer: TimerHandle | undefined;
      let settled = false;
      const finish = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        this.#clock.clearTimer(timer);
        resolve(ok);
      };
      timer = this.#clock.setTimeout(() => finish(false), ms);
      start(finish);
    });
  }
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new MqttUrlError(`MQTT broker URL ${JSON.stringify(url)} is not a URL`, { cause: err });
  }
  if (!brokerProtocols.has(parsed.protocol)) {
    throw new MqttUrlError(`MQTT broker URL ${JSON.stringify(url)} must use mqtt:, mqtts:, ws: or wss:`);
  }
  return url;
}

function isReasonCodeError(err: Error): err is Error & { code: number } {
  return typeof (err as { code?: unknown }).code === "number";
}
