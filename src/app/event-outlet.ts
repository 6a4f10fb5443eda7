import type { AppEvent, MqttPublisher, OutboxRelay } from "../control/index.ts";
import { createMqttPublisher, createOutboxRelay } from "../control/index.ts";
import type { Clock, Logger } from "../lib/index.ts";
import type { Spool } from "../spool/index.ts";
import type { RecentEvent } from "../web/index.ts";
import type { AppConfig } from "./config.ts";
import { readPemFiles } from "./pem-files.ts";
import { RecentEvents } from "./recent-events.ts";

/** Where every appliance event goes: the log always, and MQTT through the spool's outbox when configured. */
export interface EventOutlet {
  /** Logs the event and, with MQTT on, stores it in the outbox (assigning its `eventSeq`) for the relay. */
  emit(event: AppEvent): void;
  /** The MQTT publisher, when MQTT is configured. */
  readonly publisher: MqttPublisher | undefined;
  /** Events stored but not yet acknowledged by the broker. */
  depth(): number;
  /** The last 50 events with a one-line summary, newest first (the status page's "Recent events"). */
  recent(): RecentEvent[];
  /** Lets the relay hand over what it can, then disconnects. */
  close(): Promise<void>;
}

/** Options of {@link createEventOutlet}. */
export interface EventOutletOptions {
  config: AppConfig;
  version: string;
  spool: Spool;
  clock: Clock;
  logger: Logger;
}

/**
 * Builds the event path of DESIGN.md §6/§8: every event is a JSON log line; with `mqtt.url` set it
 * is also appended to the spool's outbox, whose relay publishes it with QoS 1 and deletes it only on
 * the broker's PUBACK, so a broker outage or a crash loses no event. Without MQTT nothing is stored
 * (the outbox would only grow).
 */
export function createEventOutlet(options: EventOutletOptions): EventOutlet {
  const { config, spool, clock } = options;
  const log = options.logger.child({ component: "events" });
  const ring = new RecentEvents();
  if (!config.mqtt) {
    return {
      emit: (event) => {
        ring.add(event);
        log.info(event.event, {
          sessionId: event.sessionId,
          correlation: event.correlation,
          body: event.body,
        });
      },
      publisher: undefined,
      depth: () => 0,
      recent: () => ring.list(),
      close: async () => {},
    };
  }
  const publisher = createMqttPublisher({
    url: config.mqtt.url,
    ...(config.mqtt.username ? { username: config.mqtt.username } : {}),
    ...(config.mqtt.password ? { password: config.mqtt.password } : {}),
    topicPrefix: config.mqtt.topic_prefix,
    ...(config.mqtt.client_id ? { clientId: config.mqtt.client_id } : {}),
    sessionExpiryS: Math.round(config.mqtt.session_expiry / 1000),
    ...(config.mqtt.tls
      ? {
          tls: {
            ...readPemFiles("mqtt.tls", config.mqtt.tls),
            rejectUnauthorized: config.mqtt.tls.reject_unauthorized,
          },
        }
      : {}),
    applianceId: config.appliance_id,
    version: options.version,
    clock,
    logger: options.logger.child({ component: "mqtt" }),
  });
  const relay: OutboxRelay = createOutboxRelay({
    outbox: spool,
    publisher,
    clock,
    logger: options.logger.child({ component: "outbox" }),
  });
  return {
    emit: (event) => {
      event.eventSeq = spool.appendEvent({
        name: event.event,
        callId: event.sessionId,
        time: clock.wallUs(),
        body: JSON.stringify(event),
      });
      ring.add(event);
      log.info(event.event, {
        eventSeq: event.eventSeq,
        sessionId: event.sessionId,
        correlation: event.correlation,
        body: event.body,
      });
      relay.kick();
    },
    publisher,
    depth: () => relay.depth,
    recent: () => ring.list(),
    close: async () => {
      await relay.close();
      await publisher.close();
    },
  };
}
